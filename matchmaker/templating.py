"""Small helpers the templates use to show vocabulary codes and numbers readably."""

from __future__ import annotations

import functools
from types import MappingProxyType
from typing import Any, Mapping

from flask import Flask
from flask_babel import format_date, get_locale, gettext, ngettext

from matchmaker import hs, i18n, permissions
from matchmaker.countries import country_name
from matchmaker.i18n import LocaleTexts, label
from matchmaker.matching import default_vocabulary
from matchmaker.matching.constraints import focus_corridor, is_swine_text
from matchmaker.matching.explain import Phrase
from matchmaker.matching.grade import MINIMUM_GRADE, PERFECT_GRADE
from matchmaker.vocabulary import CERTIFICATIONS, FOCUS_CORRIDORS, N_, UNIT_FORMS


def _plural_number(shown: float) -> int:
    """The whole number gettext picks a plural form by, for a number as it is shown.

    gettext's plural formulas know whole numbers only. CLDR puts fractions with the plural ("1.5 tonnes")
    and in Russian with the genitive singular ("1,5 тонны"), both the form of 2.
    """
    return int(shown) if shown == int(shown) else 2


def fmt_qty(value, unit: str, *, texts: LocaleTexts | None = None) -> str:
    """A quantity in the viewer's language and number format: "1 tonne", "1,200 kilograms", "5 тонн"."""
    texts = texts or i18n.texts()
    if value is None:
        return texts.gettext("not given")
    shown = round(value, 2)  # the form agrees with the number the reader sees
    number = texts.decimal(shown, "#,##0.##")
    forms = UNIT_FORMS.get(unit)
    if forms is None:
        return f"{number} {texts.label('unit', unit)}"
    return texts.ngettext(*forms.count, _plural_number(shown), quantity=number)


def fmt_price(value, unit: str, *, up_to: bool = False, texts: LocaleTexts | None = None) -> str:
    """A price for one unit: "USD 74.00 per piece", "74,00 USD за штуку"; ``up_to`` for a buyer's maximum."""
    texts = texts or i18n.texts()
    forms = UNIT_FORMS.get(unit)
    per_unit = texts.gettext(forms.per) if forms else f"/ {texts.label('unit', unit)}"
    price = texts.decimal(value, "#,##0.00")
    if up_to:
        return texts.gettext("up to USD %(price)s %(per_unit)s", price=price, per_unit=per_unit)
    return texts.gettext("USD %(price)s %(per_unit)s", price=price, per_unit=per_unit)


def cert_meaning(code: str) -> str:
    cert = CERTIFICATIONS.get(code)
    return gettext(cert.meaning) if cert else ""


def concept_name(concept: str) -> str:
    """A concept of the engine's vocabulary named in the interface language (never its id)."""
    return default_vocabulary().label(concept, str(get_locale()))


def explain_sentences(component: Mapping[str, Any]) -> list[str]:
    """A stored score component's "why" as sentences in the interface language, concepts named in it.

    Explanations stored before phrases existed have only the English ``detail``; they show that
    until ``matchmaker rematch`` stores them again. Plain text: the template escapes it.
    """
    phrases = component.get("phrases")
    if not phrases:
        return [component.get("detail", "")]
    return [Phrase.from_dict(phrase).render(gettext, concept_name) for phrase in phrases]


def explain_detail(component: Mapping[str, Any]) -> str:
    """:func:`explain_sentences` in one line."""
    return "; ".join(explain_sentences(component))


_BANDS = ((PERFECT_GRADE, N_("Perfect fit")), (MINIMUM_GRADE, N_("Plausible fit")), (0.0, N_("Weak fit")))


def grade_band(score: float) -> str:
    """How a trade adviser reads a grade: perfect from 85, plausible from 50, else weak."""
    return gettext(next(text for floor, text in _BANDS if score >= floor - 1e-9 or floor == 0.0))


def obstacle_sentence(obstacle, kind: str) -> str:
    """ "4 open requests for tuna need a Veterinary certificate": one group of the engine's
    ``why_not`` for the owner of a product (``kind="product"``) or of a request."""
    what = concept_name(obstacle.subject) if obstacle.subject else gettext("this product")
    certificate = label("certification", obstacle.code)
    count, values = len(obstacle.partner_ids), {"what": what, "certificate": certificate}
    if kind == "product":
        if obstacle.kind == "swine":
            return ngettext("%(num)d open request for %(what)s needs %(certificate)s, which a swine product can "
                            "never carry", "%(num)d open requests for %(what)s need %(certificate)s, which a swine "
                            "product can never carry", count, **values)
        if obstacle.kind == "halal_by_law":
            return ngettext("%(num)d open request for %(what)s needs %(certificate)s: Indonesian law requires it "
                            "for meat and dairy", "%(num)d open requests for %(what)s need %(certificate)s: "
                            "Indonesian law requires it for meat and dairy", count, **values)
        if obstacle.kind == "halal_in_text":
            return ngettext("%(num)d open request for %(what)s asks for %(certificate)s in its text",
                            "%(num)d open requests for %(what)s ask for %(certificate)s in their text", count, **values)
        return ngettext("%(num)d open request for %(what)s needs %(certificate)s",
                        "%(num)d open requests for %(what)s need %(certificate)s", count, **values)
    if obstacle.kind == "swine":
        return ngettext("%(num)d supplier of %(what)s offers a swine product, which can never carry %(certificate)s",
                        "%(num)d suppliers of %(what)s offer swine products, which can never carry %(certificate)s",
                        count, **values)
    if obstacle.kind == "halal_by_law":
        return ngettext("%(num)d supplier of %(what)s lacks %(certificate)s, which Indonesian law requires for "
                        "meat and dairy", "%(num)d suppliers of %(what)s lack %(certificate)s, which Indonesian law "
                        "requires for meat and dairy", count, **values)
    if obstacle.kind == "halal_in_text":
        return ngettext("%(num)d supplier of %(what)s lacks %(certificate)s, which your request's text asks for",
                        "%(num)d suppliers of %(what)s lack %(certificate)s, which your request's text asks for",
                        count, **values)
    return ngettext("%(num)d supplier of %(what)s lacks %(certificate)s, which your request requires",
                    "%(num)d suppliers of %(what)s lack %(certificate)s, which your request requires",
                    count, **values)


def in_focus(item, kind: str) -> bool:
    """Products are in focus when exported from the corridor's origin; requests when the buyer is at
    its end. A pork product is never in focus (the corridor law in the engine's constraints)."""
    corridor = FOCUS_CORRIDORS.get(item.sector)
    if corridor is None:
        return False
    if kind == "product":
        swine = is_swine_text(item.hs_code, f"{item.title} {item.description or ''}")
        return focus_corridor(item.sector, item.organisation.country, corridor[1], swine=swine)
    return item.organisation.country == corridor[1]


@functools.lru_cache(maxsize=32)
def _number_functions(texts: LocaleTexts) -> Mapping[str, Any]:
    return MappingProxyType({"fmt_qty": functools.partial(fmt_qty, texts=texts),
                             "fmt_price": functools.partial(fmt_price, texts=texts)})


def init_app(app: Flask) -> None:
    @app.context_processor
    def numbers():  # bound to the page's locale once per render, as i18n's strings and labels are
        return _number_functions(i18n.texts())

    app.jinja_env.globals.update(
        fmt_qty=fmt_qty, fmt_price=fmt_price, cert_meaning=cert_meaning, in_focus=in_focus,
        hs_describe=hs.describe, country_name=country_name, format_date=format_date, explain_detail=explain_detail,
        explain_sentences=explain_sentences, grade_band=grade_band, concept_name=concept_name,
        obstacle_sentence=obstacle_sentence,
    )
    # Pages offer an action with the same question the view asks before it answers 403.
    app.jinja_env.globals.update(
        can_post_products=permissions.can_post_products, can_post_requests=permissions.can_post_requests,
        can_manage_users=permissions.can_manage_users,
    )
