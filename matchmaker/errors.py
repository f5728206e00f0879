"""Friendly error pages; JSON for clients that ask for it (the future API)."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from matchmaker.db import database_busy

# Locks are held for milliseconds in normal work; a client that waits this long usually gets through.
RETRY_AFTER_SECONDS = 5


def http_error(error: HTTPException):
    if isinstance(error, CSRFError):
        error.description = "csrf"
    # Keep what the error adds for the client (Retry-After, Allow), not its plain-text content type.
    headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
    if request.accept_mimetypes.best == "application/json":
        return {"error": error.name, "status": error.code}, error.code, headers
    return render_template("errors/error.html", error=error), error.code, headers


def database_error(error: OperationalError):
    """A lock or statement timeout means "busy, try again": 503 with Retry-After, not a 500."""
    if not database_busy(error):
        raise error
    return http_error(ServiceUnavailable(retry_after=RETRY_AFTER_SECONDS))


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(OperationalError, database_error)
