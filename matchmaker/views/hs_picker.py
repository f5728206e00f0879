"""The HS code type-ahead: find a code by its number or by words of its description."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from matchmaker import hs

bp = Blueprint("hs", __name__, url_prefix="/hs")


@bp.get("/search")
def search():
    query = (request.args.get("q") or request.args.get("hs_code") or "").strip()[:80]
    # Offer only what the form can save: a request may name a heading, a product needs a subheading.
    headings = request.args.get("kind") == "request"
    results = hs.search(query, headings=headings) if len(query) >= 2 else []
    return render_template("hs/_options.html", results=results, query=query)
