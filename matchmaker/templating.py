"""Small helpers the templates use to show vocabulary codes and numbers readably."""

from __future__ import annotations

from typing import Any, Mapping

from flask import Flask
from flask_babel import format_date, format_decimal, gettext

from matchmaker import hs, permissions
from matchmaker.countries import country_name
from matchmaker.i18n import label
from matchmaker.matching.explain import Phrase
from matchmaker.vocabulary import CERTIFICATIONS, FOCUS_CORRIDORS


def fmt_qty(value, unit: str) -> str:
    if value is None:
        return gettext("not given")
    return f"{format_decimal(value, format='#,##0.##')} {label('unit', unit)}"


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
        fmt_qty=fmt_qty, cert_meaning=cert_meaning, in_focus=in_focus, hs_describe=hs.describe,
        country_name=country_name, format_date=format_date, explain_detail=explain_detail,
    )
    # Pages offer an action with the same question the view asks before it answers 403.
    app.jinja_env.globals.update(
        can_post_products=permissions.can_post_products, can_post_requests=permissions.can_post_requests,
        can_manage_users=permissions.can_manage_users,
    )
