"""What the platform accepts from a URL: record ids in paths, page numbers in queries, redirect targets.

Every one of them is typed by whoever sends the request, so each is parsed in one place, bounded, and
anything unexpected becomes a 404, the first page or the default target: never a 500 or another site.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import Flask, request
from werkzeug.routing import IntegerConverter

# Primary keys are 32-bit integers on PostgreSQL; a larger number can name no record, and passing one
# to the database raises an overflow error instead of finding nothing.
MAX_ID = 2**31 - 1
MAX_PAGE = 10_000
MAX_REDIRECT_LENGTH = 2000


class IdConverter(IntegerConverter):
    """``<id:item_id>``: an ASCII number in 1..2^31-1; anything else does not match (404)."""

    # At most ten digits: int() refuses numbers of more than 4,300 digits with an error, not a 404.
    regex = r"[0-9]{1,10}"

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def parse_id(text: str | None) -> int | None:
    """A record id from text (a session cookie, a form field), or ``None`` when it cannot be one.

    >>> parse_id("42"), parse_id("0"), parse_id("²"), parse_id(str(2**63)), parse_id(None)
    (42, None, None, None, None)
    """
    if not text or len(text) > len(str(MAX_ID)) or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def page_number() -> int:
    """The ``page`` query argument, clamped to 1..MAX_PAGE; junk ("²", "x", 5,000 digits) is page 1."""
    page = request.args.get("page", 1, type=int)  # int() refusing the text gives the default
    return min(max(page, 1), MAX_PAGE)


def safe_local_path(target: str | None, default: str) -> str:
    """``target`` if a browser would stay on this site when redirected there, else ``default``.

    Browsers drop tabs and newlines from URLs and read a backslash as a slash, so ``/<tab>/evil.example``
    and ``/\\evil.example`` both lead to evil.example, and a newline in a header is an error. Absolute
    URLs, scheme-relative ``//host`` and schemes (``javascript:``) are never local paths.

    >>> safe_local_path("/products/?q=teak%20table", "/"), safe_local_path("//evil.example", "/")
    ('/products/?q=teak%20table', '/')
    """
    if (not target or len(target) > MAX_REDIRECT_LENGTH or not _plain(target)
            or not target.startswith("/") or target.startswith("//")):
        return default
    # Safe as sent but not once decoded (/%2F/evil.example): a proxy or a later redirect that decodes
    # the path would turn it into an open redirect, so the decoded path must pass too.
    path = unquote(urlsplit(target).path)
    if path.startswith("//") or not _plain(path):
        return default
    return target


def _plain(text: str) -> bool:
    """No control character, no white space, no backslash."""
    return text.isprintable() and " " not in text and "\\" not in text


def init_app(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter
