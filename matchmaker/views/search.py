"""``/search``: one box over products and buying requests, with facets; live with htmx, plain without."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from matchmaker.db import get_session
from matchmaker.services import search as service
from matchmaker.urls import page_number

bp = Blueprint("search", __name__, url_prefix="/search")


@bp.get("/")
def index():
    results = service.search(get_session(), query=request.args.get("q", ""),
                             side=request.args.get("side", "products"),
                             filters=service.Filters.parse(request.args),
                             sort=request.args.get("sort", "relevance"), page=page_number())
    # The box and the facets send htmx requests: they get the results alone (facets included, as
    # their counts change with the query); a plain GET, or a boosted link, gets the page.
    partial = request.htmx and not request.htmx.boosted
    return render_template("search/_results.html" if partial else "search/index.html", results=results)
