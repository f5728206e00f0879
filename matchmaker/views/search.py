"""``/search``: one box over products and buying requests, with facets; live with htmx, plain without."""

from __future__ import annotations

from flask import Blueprint, make_response, render_template, request

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
    return page_or_partial("search/index.html", "search/_results.html", results=results,
                           query_max=service.QUERY_MAX)


def page_or_partial(page: str, partial: str, **context):
    """The partial for the box's and the facets' htmx requests (facets included, as their counts change
    with the query); the whole page for a plain GET, a boosted link, or htmx restoring a history entry
    it no longer holds. One URL gives both, so caches are told the answer varies with HX-Request."""
    wanted = request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request
    response = make_response(render_template(partial if wanted else page, **context))
    response.vary.add("HX-Request")
    return response
