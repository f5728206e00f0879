"""gunicorn's settings for this app; gunicorn reads this file from the directory it starts in.

Each worker loads the engine's indexes and reads their profiles in a background thread as soon as it
starts, so its first searches are as fast as the next ones (services.index_store.warm_up).
"""


def post_worker_init(worker):
    from matchmaker.services import index_store

    index_store.warm_up(worker.wsgi.extensions["db_engine"])
