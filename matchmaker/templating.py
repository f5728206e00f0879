"""Small helpers the templates use to show vocabulary codes and numbers readably."""

from __future__ import annotations

from typing import Any, Mapping

from flask import Flask
from flask_babel import format_date, format_decimal, gettext, ngettext

from matchmaker import hs, permissions
from matchmaker.countries import country_name
from matchmaker.i18n import label
from matchmaker.matching.explain import Phrase
from matchmaker.vocabulary import CERTIFICATIONS, FOCUS_CORRIDORS, UNIT_FORMS


def _plural_number(shown: float) -> int:
    """The whole number gettext picks a plural form by, for a number as it is shown.

    gettext's plural formulas know whole numbers only. CLDR puts fractions with the plural ("1.5 tonnes")
    and in Russian with the genitive singular ("1,5 тонны"), both the form of 2.
    """
    return int(shown) if shown == int(shown) else 2


def fmt_qty(value, unit: str) -> str:
    """A quantity in the viewer's language and number format: "1 tonne", "1,200 kilograms", "5 тонн"."""
    if value is None:
        return gettext("not given")
    shown = round(value, 2)  # the form agrees with the number the reader sees
    number = format_decimal(shown, format="#,##0.##")
    forms = UNIT_FORMS.get(unit)
    if forms is None:
        return f"{number} {label('unit', unit)}"
    return ngettext(*forms.count, _plural_number(shown), quantity=number)


def fmt_price(value, unit: str, *, up_to: bool = False) -> str:
    """A price for one unit: "USD 74.00 per piece", "74,00 USD за штуку"; ``up_to`` for a buyer's maximum."""
    forms = UNIT_FORMS.get(unit)
    per_unit = gettext(forms.per) if forms else f"/ {label('unit', unit)}"
    price = format_decimal(value, format="#,##0.00")
    if up_to:
        return gettext("up to USD %(price)s %(per_unit)s", price=price, per_unit=per_unit)
    return gettext("USD %(price)s %(per_unit)s", price=price, per_unit=per_unit)


def cert_meaning(code: str) -> str:
    cert = CERTIFICATIONS.get(code)
    return gettext(cert.meaning) if cert else ""


def explain_detail(component: Mapping[str, Any]) -> str:
    """A stored score component's "why", in the interface language.

    Explanations stored before phrases existed have only the English ``detail``; they show that
    until ``matchmaker rematch`` stores them again. Plain text: the template escapes it.
    """
    phrases = component.get("phrases")
    if not phrases:
        return component.get("detail", "")
    return "; ".join(Phrase.from_dict(phrase).render(gettext) for phrase in phrases)


def in_focus(item, kind: str) -> bool:
    """Products are in focus when exported from the corridor's origin; requests when the buyer is at its end."""
    corridor = FOCUS_CORRIDORS.get(item.sector)
    if corridor is None:
        return False
    return item.organisation.country == corridor[0 if kind == "product" else 1]


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        fmt_qty=fmt_qty, fmt_price=fmt_price, cert_meaning=cert_meaning, in_focus=in_focus,
        hs_describe=hs.describe, country_name=country_name, format_date=format_date, explain_detail=explain_detail,
    )
    # Pages offer an action with the same question the view asks before it answers 403.
    app.jinja_env.globals.update(
        can_post_products=permissions.can_post_products, can_post_requests=permissions.can_post_requests,
        can_manage_users=permissions.can_manage_users,
    )
