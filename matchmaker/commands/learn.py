"""``matchmaker learn``: new component weights from the curators' and parties' decisions, saved only
when they beat the weights in use on held-out decisions (see :mod:`matchmaker.services.learning`)."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext


@click.command("learn")
@click.option("--min-gain", default=None, type=click.FloatRange(min=0.0, max=1.0),
              help="AUC the learnt weights must gain over the current ones (default 0.01).")
@click.option("--dry-run", is_flag=True, help="Fit and compare, but save nothing.")
@click.option("--rematch/--no-rematch", default=True, show_default=True,
              help="Rescore every stored match with the new weights once a version is saved.")
@with_appcontext
def learn_command(min_gain, dry_run: bool, rematch: bool) -> None:
    """Fit weights on labelled introductions; save a new active version only when it is better."""
    from matchmaker.db import get_session
    from matchmaker.services import learning

    session = get_session()
    try:
        outcome = learning.learn(session, save=not dry_run,
                                 min_gain=learning.MIN_GAIN if min_gain is None else min_gain)
    except learning.TooFewLabels as error:
        raise click.ClickException(f"Nothing learnt: {error}.") from None
    metrics = outcome.metrics
    click.echo(f"{metrics['n_labels']} labelled decisions ({metrics['positives']} positive, "
               f"{metrics['negatives']} negative; {metrics['skipped']} without a full explanation skipped), "
               f"evaluated by {metrics['method']}.")
    click.echo("Learnt weights: " + json.dumps(outcome.candidate))
    if outcome.saved is None:
        click.echo(f"Nothing saved: {outcome.reason}.")
        return
    click.echo(f"Saved {outcome.saved.name} (now active): {outcome.reason}.")
    if rematch:
        from matchmaker.cli import _rematch_with_progress

        _rematch_with_progress()
    else:
        click.echo("Run `matchmaker rematch` to rescore the stored matches with it.")
