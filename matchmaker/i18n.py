"""Interface language: the signed-in user's preference, else the browser's, else English.

Every interface string goes through ``_()``; catalogues live in ``matchmaker/translations``.
"""

from __future__ import annotations

from flask import Flask, has_request_context, request, session
from flask_babel import Babel, get_locale, gettext
from flask_login import current_user

from matchmaker.vocabulary import CERTIFICATIONS, INCOTERMS, INTERFACE_LOCALES, LANGUAGES, ORGANISATION_KINDS, SECTORS, UNITS

babel = Babel()


def select_locale() -> str:
    if not has_request_context():  # a CLI command or a job: English, unless a caller forces a locale
        return "en"
    chosen = request.args.get("lang") or session.get("locale")
    if chosen in INTERFACE_LOCALES:
        return chosen
    if getattr(current_user, "is_authenticated", False) and current_user.locale in INTERFACE_LOCALES:
        return current_user.locale
    return request.accept_languages.best_match(list(INTERFACE_LOCALES)) or "en"


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)

    @app.context_processor
    def vocabulary():
        return {
            "INTERFACE_LOCALES": INTERFACE_LOCALES,
            "get_locale": get_locale,
            "label": label,
        }


_GROUPS = {"sector": SECTORS, "kind": ORGANISATION_KINDS, "unit": UNITS, "language": LANGUAGES}


def label(group: str, code: str) -> str:
    """A readable, translated label for a vocabulary code (sector, kind, unit, language, certification…)."""
    if group == "certification":
        cert = CERTIFICATIONS.get(code)
        return gettext(cert.label) if cert else code
    if group == "incoterm":
        return f"{code} — {gettext(INCOTERMS[code])}" if code in INCOTERMS else code
    text = _GROUPS.get(group, {}).get(code)
    return gettext(text) if text else code
