"""Interface language: the signed-in user's preference, else the browser's, else English.

Every interface string goes through ``_()``; catalogues live in ``matchmaker/translations``.
"""

from __future__ import annotations

import functools
from types import MappingProxyType
from typing import Any, Mapping

from babel import Locale, numbers
from flask import Flask, has_request_context, request, session
from flask_babel import Babel, format_decimal, get_locale, get_translations, gettext, ngettext
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

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
        # The page's strings, labels and country names bound to its locale once per render: through
        # Flask-Babel each of them looks the request's locale and catalogue up again.
        return {"INTERFACE_LOCALES": INTERFACE_LOCALES, "get_locale": get_locale, "label": label,
                **texts().template_functions}


_GROUPS = {"sector": SECTORS, "kind": ORGANISATION_KINDS, "unit": UNITS, "language": LANGUAGES}


def label(group: str, code: str) -> str:
    """A readable, translated label for a vocabulary code (sector, kind, unit, language, certification…)."""
    return texts().label(group, code)


def _label(translate, group: str, code: str) -> str:
    if group == "certification":
        cert = CERTIFICATIONS.get(code)
        return translate(cert.label) if cert else code
    if group == "incoterm":
        return f"{code} — {translate(INCOTERMS[code])}" if code in INCOTERMS else code
    text = _GROUPS.get(group, {}).get(code)
    return translate(text) if text else code


class LocaleTexts:
    """One interface locale's translations, vocabulary labels and country names, built once per
    locale (:func:`texts`) and never changed afterwards, so request threads share it without a lock.
    Its methods answer as Flask-Babel's functions do in a request of that locale, without looking the
    locale and its catalogue up again at each call (dozens of calls per page)."""

    def __init__(self, locale: Locale | None, translations) -> None:
        self.locale = locale
        self.translations = translations
        translate = translations.ugettext
        labels = {(group, code): _label(translate, group, code) for group, codes in _GROUPS.items() for code in codes}
        labels |= {("certification", code): _label(translate, "certification", code) for code in CERTIFICATIONS}
        labels |= {("incoterm", code): _label(translate, "incoterm", code) for code in INCOTERMS}
        self.labels: Mapping[tuple[str, str], str] = MappingProxyType(labels)
        self.countries: Mapping[str, str] = MappingProxyType(dict(locale.territories) if locale else {})
        # What a template of this locale calls (``_()`` resolves ``gettext`` in the template's context).
        self.template_functions: Mapping[str, Any] = MappingProxyType({
            "gettext": _jinja_gettext(translations), "ngettext": _jinja_ngettext(translations),
            "label": self.label, "country_name": self.country_name})

    def gettext(self, text: str, /, **variables) -> str:
        found = self.translations.ugettext(text)
        return found % variables if variables else found

    def ngettext(self, singular: str, plural: str, num, /, **variables) -> str:
        variables.setdefault("num", num)
        return self.translations.ungettext(singular, plural, num) % variables

    def label(self, group: str, code: str) -> str:
        return self.labels.get((group, code), code)

    def country_name(self, code: str) -> str:
        return self.countries.get(code, code)

    def decimal(self, number, format: str) -> str:
        return _decimal(number, format, self.locale)


def texts() -> LocaleTexts:
    """The current locale's texts; outside an app context (no locale) Flask-Babel's own functions,
    which answer untranslated there."""
    locale = get_locale()
    return _UNTRANSLATED if locale is None else _texts(locale, get_translations())


@functools.lru_cache(maxsize=32)
def _texts(locale: Locale, translations) -> LocaleTexts:
    """Keyed by the catalogue object too: each app's Flask-Babel loads its own (tests make many apps)."""
    return LocaleTexts(locale, translations)


class _Untranslated:
    """Flask-Babel's functions as they are, for code running without a locale."""

    template_functions: Mapping[str, Any] = MappingProxyType({})
    gettext = staticmethod(gettext)
    ngettext = staticmethod(ngettext)

    @staticmethod
    def label(group: str, code: str) -> str:
        return _label(gettext, group, code)

    @staticmethod
    def country_name(code: str) -> str:
        return code

    @staticmethod
    def decimal(number, format: str) -> str:
        return format_decimal(number, format=format)


_UNTRANSLATED = _Untranslated()


def _jinja_gettext(translations):
    """``_()`` in a template, as jinja's i18n extension makes it from Flask-Babel's (new style: the
    text is always %-formatted, as Markup when the template escapes). Positional-only, so that a
    template may pass ``num=`` or ``string=`` as a variable of the text."""
    @pass_context
    def gettext(context, string: str, /, **variables) -> str:
        found = translations.ugettext(string)
        return (Markup(found) if context.eval_ctx.autoescape else found) % variables
    return gettext


def _jinja_ngettext(translations):
    @pass_context
    def ngettext(context, singular: str, plural: str, num, /, **variables) -> str:
        variables.setdefault("num", num)
        found = translations.ungettext(singular, plural, num)
        return (Markup(found) if context.eval_ctx.autoescape else found) % variables
    return ngettext


@functools.lru_cache(maxsize=4096, typed=True)
def _decimal(number, format: str, locale: Locale) -> str:
    """A number as the locale writes it; the same prices and quantities recur on every page."""
    return numbers.format_decimal(number, format=format, locale=locale)
