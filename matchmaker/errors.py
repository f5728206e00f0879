"""Friendly error pages; JSON for clients that ask for it (the future API)."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if isinstance(error, CSRFError):
            error.description = "csrf"
        if request.accept_mimetypes.best == "application/json":
            return {"error": error.name, "status": error.code}, error.code
        return render_template("errors/error.html", error=error), error.code
