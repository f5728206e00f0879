"""``matchmaker import``: bulk load of published products and buying requests from JSON Lines or CSV
files (the batch engine's format), all or nothing (see :mod:`matchmaker.services.bulk_import`)."""

from __future__ import annotations

import sys
import time

import click
from flask.cli import with_appcontext

MAX_SHOWN = 20


@click.command("import")
@click.option("--products", "products", type=click.Path(dir_okay=False), default=None,
              help="Products: a .jsonl or .csv file in the batch engine's format (plus organisation).")
@click.option("--demands", "demands", type=click.Path(dir_okay=False), default=None,
              help="Buying requests: a .jsonl or .csv file in the batch engine's format.")
@with_appcontext
def import_command(products: str | None, demands: str | None) -> None:
    """Load products and buying requests in one transaction: every row, or nothing when a row is wrong."""
    from tqdm import tqdm

    from matchmaker.db import get_session
    from matchmaker.services import bulk_import

    files = [(side, path) for side, path in (("product", products), ("request", demands)) if path]
    if not files:
        raise click.UsageError("Give --products FILE and/or --demands FILE.")
    started, cpu = time.perf_counter(), time.process_time()
    session = get_session()
    try:
        for _, path in files:
            bulk_import.check_extension(path)
        with tqdm(desc="reading", total=_lines(path for _, path in files), unit="row", file=sys.stderr) as bar:
            plan = bulk_import.plan(session, files, progress=bar.update)
    except bulk_import.UnreadableFile as error:
        raise click.ClickException(str(error)) from None
    if plan.errors:
        for error in plan.errors[:MAX_SHOWN]:
            click.echo(str(error), err=True)
        more = len(plan.errors) - MAX_SHOWN
        if more > 0:
            click.echo(f"… and {more} more errors.", err=True)
        click.echo(f"Nothing imported: {len(plan.errors)} errors in {sum(plan.rows.values())} rows.", err=True)
        sys.exit(1)
    if not plan.items:
        raise click.ClickException("Nothing imported: the files have no rows.")
    with tqdm(desc="storing", total=len(plan.items), unit="row", file=sys.stderr) as bar:
        loaded = bulk_import.store(session, plan, progress=bar.update)
    click.echo(f"Imported {loaded.products} products and {loaded.requests} buying requests "
               f"({loaded.published} published) from {sum(plan.rows.values())} rows; "
               f"{loaded.organisations_created} organisations created; "
               f"{time.perf_counter() - started:.1f} s ({loaded.seconds:.1f} s storing, "
               f"{time.process_time() - cpu:.1f} s CPU).")
    if loaded.published:
        # One commit, one logged change set: the matching job (the worker with REDIS_URL, else the web
        # process's thread) picks it up; this short-lived command does not wait for it.
        click.echo("Their matches are computed by the matching job (`matchmaker worker`, or the running "
                   "web process); `matchmaker rematch` computes them now.")


def _lines(paths) -> int | None:
    """About how many rows the files hold (for the progress bar's estimate); None if one is unreadable."""
    try:
        total = 0
        for path in paths:
            with open(path, "rb") as handle:
                total += sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
        return total
    except OSError:
        return None
