"""``matchmaker match``: rank products for every request of a file, in one batch."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from tqdm import tqdm

from matchmaker.matching import Demand, Product, ProductIndex
from matchmaker.matching.io import match_rows, read_records, write_jsonl

PROGRESS_FROM = 200  # below this many requests a bar is only noise


@click.command("match")
@click.option("--products", "products_path", required=True, type=click.Path(path_type=Path),
              help="Products, JSON Lines, .csv (list fields separated by ';') or .xlsx.")
@click.option("--demands", "demands_path", required=True, type=click.Path(path_type=Path),
              help="Requests, JSON Lines, .csv or .xlsx.")
@click.option("--top", "top", default=10, show_default=True, type=click.IntRange(min=1),
              help="Matches to keep per request.")
@click.option("--out", "out_path", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Where to write the matches (JSON Lines).")
def match_command(products_path: Path, demands_path: Path, top: int, out_path: Path) -> None:
    """Write the TOP best eligible products for each request to OUT, best first."""
    try:
        products, bad_products = read_records(products_path, Product.from_mapping)
        demands, bad_demands = read_records(demands_path, Demand.from_mapping)
    except (OSError, ValueError) as error:  # UnicodeDecodeError and a broken XLSX are ValueErrors
        raise click.ClickException(f"cannot read input: {error}") from None
    skipped = bad_products + bad_demands
    for bad in skipped:
        click.echo(f"skipped {bad}", err=True)
    show = len(demands) >= PROGRESS_FROM
    if show:  # building a large index takes a while before the bar can move
        click.echo(f"indexing {len(products)} products…", err=True)
    index = ProductIndex(products)
    with tqdm(total=len(demands), unit="request", disable=not show, file=sys.stderr) as bar:
        try:
            with out_path.open("w", encoding="utf-8") as handle:
                written = write_jsonl(match_rows(index.top_many(demands, k=top, progress=bar.update)),
                                      handle)
        except OSError as error:
            raise click.ClickException(f"cannot write {out_path}: {error}") from None
    click.echo(f"{written} matches for {len(demands)} requests against {len(products)} products "
               f"written to {out_path}", err=True)
    if skipped:
        click.echo(f"{len(skipped)} bad line(s) skipped", err=True)
