"""gunicorn's settings for this app; gunicorn reads this file from the directory it starts in.

The app is loaded once in the master, which loads the engine's indexes and reads their profiles and
words before forking the workers: each worker starts warm (its first searches as fast as the next
ones, also after a restart), and the workers share those pages until they write to them. Without
snapshots yet, each worker waits for them in a background thread instead.
"""

preload_app = True


def when_ready(server):
    import gc

    from matchmaker.services import index_store

    engine = server.app.wsgi().extensions["db_engine"]
    try:
        index_store.warm(engine)
    except Exception:  # the database not reachable yet: the workers still start, and warm themselves
        server.log.exception("indexes not warmed before forking the workers")
    engine.dispose()  # no database connection crosses the fork
    gc.freeze()  # the collector never walks (so never copies) what the workers inherit


def post_worker_init(worker):
    from matchmaker.services import index_store

    index_store.warm_up(worker.wsgi.extensions["db_engine"])
