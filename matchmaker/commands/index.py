"""``matchmaker index``: the warm engine indexes' snapshot files (see ``services/index_store``)."""

from __future__ import annotations

import sys
import time

import click
from flask.cli import with_appcontext


@click.group("index")
def index_group() -> None:
    """The engine's fitted indexes (snapshot files that every process starts from)."""


@index_group.command("rebuild")
@click.option("--keep", default=2, show_default=True, type=click.IntRange(min=1),
              help="Snapshot files kept per side (the newest).")
@with_appcontext
def rebuild_command(keep: int) -> None:
    """Refit both sides from the database, write their snapshots, prune old files and log rows."""
    from tqdm import tqdm

    from matchmaker.db import get_session
    from matchmaker.services import index_store

    session = get_session()
    store = index_store.store_for(session.get_bind())
    with tqdm(total=len(index_store.SIDES) * 2, desc="fitting", unit="step", file=sys.stderr) as bar:
        for side in index_store.SIDES:
            started = time.perf_counter()
            bar.set_description(f"reading {side}")
            version = index_store.rebuild(session, side, progress=lambda n, side=side: (
                bar.update(1), bar.set_description(f"fitting {n} {side}")))
            bar.update(1)
            click.echo(f"{side}: {len(store.sides[side].index)} items at log position {version.applied}, "
                       f"index {version.fingerprint} ({time.perf_counter() - started:.1f} s)", err=True)
    removed = store.prune(keep)
    pruned = index_store.prune_log(session, store)
    click.echo(f"Snapshots written to {store.directory}; {len(removed)} old snapshot files and {pruned} "
               "change log rows every consumer is past removed.")
