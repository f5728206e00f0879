"""The ``matchmaker`` command: Flask's commands plus the platform's own (db, seed, match, rematch)."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from matchmaker import migrate


def create_app_for_cli():
    from matchmaker import create_app
    from matchmaker.config import ConfigurationError

    try:
        return create_app()
    except ConfigurationError as error:  # a message for the operator, not a traceback
        raise click.ClickException(str(error)) from error


@click.group(cls=FlaskGroup, create_app=create_app_for_cli)
def main() -> None:
    """Indonesia–Kazakhstan export matchmaker."""


@click.group("db")
def db_group() -> None:
    """Database schema migrations (Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    migrate.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"Database at {revision}.")


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models; review it before committing."""
    migrate.revision(current_app.config["DATABASE_URL"], message)


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Migrate the database and, on an empty database outside production, load the demo data."""
    from matchmaker.db import get_session
    from matchmaker.seeding import database_is_empty, load_demo_data

    migrate.upgrade(current_app.config["DATABASE_URL"])
    session = get_session()
    if current_app.config["LOAD_DEMO_DATA"] and database_is_empty(session):
        counts = load_demo_data(session, progress=True)
        click.echo("Demo data loaded: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
        _rematch_with_progress()  # fits both sides afresh and writes the first index snapshots
        _load_demo_queue()
    else:
        click.echo("Database ready.")


@click.command("seed")
@with_appcontext
def seed_command() -> None:
    """Load (or refresh) the demo data from seeds/. Safe to run twice: nothing is duplicated."""
    from matchmaker.db import get_session
    from matchmaker.seeding import load_demo_data

    if not current_app.config["LOAD_DEMO_DATA"]:
        raise click.ClickException("Demo data is never loaded when MATCHMAKER_ENV=production.")
    counts = load_demo_data(get_session(), progress=True)
    click.echo("Demo data: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
    _rematch_with_progress()
    _load_demo_queue()


@click.command("rematch")
@with_appcontext
def rematch_command() -> None:
    """Recompute every stored match from indexes fitted afresh (their snapshots are written too)."""
    _rematch_with_progress()


@click.command("worker")
@click.option("--burst", is_flag=True, help="Match what is pending, then exit.")
@click.option("--interval", type=float, default=None,
              help="Seconds between two looks at the change log (default 1; 5 with REDIS_URL).")
@with_appcontext
def worker_command(burst: bool, interval: float | None) -> None:
    """Run the matching jobs: with REDIS_URL an RQ worker on the matching queue, otherwise a loop over
    the catalogue change log. Ctrl-C stops it after the current run."""
    import logging

    from matchmaker.services import jobs

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = current_app._get_current_object()
    redis = app.config.get("REDIS_URL")
    click.echo(f"Matching worker ({'RQ queue ' + app.config['MATCHING_QUEUE'] if redis else 'polling the log'}); "
               "Ctrl-C to stop.", err=True)
    jobs.work(app, burst=burst, interval=interval)
    click.echo("Matching worker stopped.", err=True)


def _rematch_with_progress() -> None:
    from tqdm import tqdm

    from matchmaker.db import get_engine, get_session
    from matchmaker.services import jobs, matches

    # Under the matching job's lock: a job running meanwhile must not store older lists after these.
    with jobs.matching_lock(get_engine()), tqdm(desc="matching", unit="item", file=sys.stderr) as bar:
        counts = matches.rematch_all(get_session(), progress=bar.update)
    click.echo("{matches} matches stored for {products} products and {requests} requests "
               "({removed} outdated proposals removed).".format(**counts))


def _load_demo_queue() -> None:
    """The demo queue (seeds/curation.json) goes on the computed matches, so it loads after them."""
    from matchmaker.db import get_session
    from matchmaker.seeding_curation import load_demo_queue

    loaded = load_demo_queue(get_session())
    click.echo("Demo queue: " + ", ".join(f"{n} {what}" for what, n in loaded.as_dict().items()))
    for pair in loaded.missing:
        click.echo(f"  not among the computed matches, skipped: {pair}", err=True)


def init_app(app: Flask) -> None:
    for command in (db_group, init_command, seed_command, rematch_command, worker_command):
        app.cli.add_command(command)
    from matchmaker.commands.index import index_group
    from matchmaker.commands.learn import learn_command
    app.cli.add_command(learn_command)
    app.cli.add_command(index_group)
    from matchmaker.commands.importing import import_command
    app.cli.add_command(import_command)


try:
    from matchmaker.commands.match import match_command
except ImportError:  # pragma: no cover - the engine's batch command arrives with the matching package
    match_command = None
if match_command is not None:
    # Registered on the group itself: a batch run needs no app and no database.
    main.add_command(match_command)
