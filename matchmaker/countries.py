"""Country choices: the corridor's two countries first, then the rest of ISO 3166 (names from Babel's CLDR data)."""

from __future__ import annotations

from flask_babel import get_locale
from wtforms.fields.choices import SelectChoice

from matchmaker.i18n import texts

FIRST = ("ID", "KZ")


def country_name(code: str) -> str:
    return texts().country_name(code)


def country_choices() -> list[SelectChoice]:
    locale = get_locale()
    names = locale.territories
    codes = sorted((c for c in names if len(c) == 2 and c.isalpha() and c not in FIRST and c not in ("ZZ", "EU", "UN", "EZ", "QO", "XA", "XB", "XK")),
                   key=lambda c: names[c])
    return [SelectChoice(c, names[c]) for c in (*FIRST, *codes)]
