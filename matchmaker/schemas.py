"""Input schemas: what a form, a CSV row or (later) an API call must satisfy before it touches a table.

These are SQLModel models *without* ``table=True``, so pydantic validates them (table models skip
validation). Every rule lives here once; forms and the API report the errors field by field.
Messages are English msgids marked with ``N_`` so Babel extracts them and the web layer translates them.
"""

from __future__ import annotations

import math
import re
from typing import Optional
from urllib.parse import urlsplit

from pydantic import ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError
from sqlmodel import Field, SQLModel

from matchmaker import hs
from matchmaker.vocabulary import (
    CERTIFICATIONS, DESCRIPTION_MAX, INCOTERMS, LANGUAGES, MAX_PRICE_USD, MAX_QUANTITY, ORGANISATION_KINDS,
    TITLE_MAX, UNITS,
)


def N_(message: str) -> str:
    """Mark a message for translation without translating it here (no Flask in this layer)."""
    return message


# Every pattern here runs in linear time: no two adjacent parts can match the same characters, so a
# hostile input cannot make the engine backtrack (one slow validator stalls every request of the process).
TAG_START = re.compile(r"<\s*(?:/\s*)?[a-zA-Z!]")
COUNTRY = re.compile(r"^[A-Z]{2}$")
EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\".]+(?:\.[^@\s<>\".]+)+$")
PHONE = re.compile(r"^\+?[0-9 ()\-.]{6,30}$")
WEBSITE_MAX = 300
EMAIL_MAX = 254
PHONE_MAX = 30
HS_CODE_MAX = 20  # "9403.60.10.00" and the like, with room for spaces


def _fail(message: str, **context) -> PydanticCustomError:
    # The untranslated template travels with the error so the web layer can translate, then format.
    return PydanticCustomError("invalid", message, {**context, "msgid": message})


def check_length(value: str, max_length: int) -> str:
    """Refuse over-long text before anything else looks at it."""
    if len(value) > max_length:
        raise _fail(N_("At most {max} characters (you typed {count})."), max=max_length, count=len(value))
    return value


def has_markup(value: str) -> bool:
    """Whether the text holds something a browser would read as a tag: ``<`` and a letter, ``/`` or ``!``,
    then a ``>`` somewhere after it. Looking for tag starts only before the last ``>`` keeps this linear."""
    end = value.rfind(">")
    return end > 0 and TAG_START.search(value, 0, end) is not None


def is_web_address(value: str) -> bool:
    """An absolute http(s) address with a dotted host name and no user name in it
    ("https://bank.example@evil.example" shows one host and opens another)."""
    if any(ch in '<>"' or ch.isspace() or not ch.isprintable() for ch in value):
        return False
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return False
    return (parts.scheme in ("http", "https") and "." in host.strip(".")
            and parts.username is None and parts.password is None)


def clean_text(value: str | None, *, required: bool, max_length: int) -> str:
    value = check_length((value or "").strip(), max_length)
    if required and not value:
        raise _fail(N_("This field is required."))
    if has_markup(value):
        # Text is shown to other companies; plain text only, so nobody can inject a script or a fake link.
        raise _fail(N_("Plain text only: remove the HTML tags."))
    return value


def clean_codes(values, allowed, message: str) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = re.split(r"[;,\s]+", values)
    cleaned = []
    for value in values:
        value = str(value).strip()
        if not value:
            continue
        code = value.upper() if allowed is INCOTERMS else value.lower()
        if code not in allowed:
            raise _fail(message, value=value[:40])
        if code not in cleaned:
            cleaned.append(code)
    return cleaned


def check_amount(value: Optional[float], *, limit: float, allow_zero: bool = False) -> Optional[float]:
    if value is None:
        return None
    if not math.isfinite(value):
        raise _fail(N_("Enter a number."))
    if value < 0 or (value == 0 and not allow_zero):
        raise _fail(N_("Must be a positive number."))
    if value > limit:
        raise _fail(N_("That is more than {limit:,} — please check the figure."), limit=limit)
    return value


def clean_hs_code(value: str | None, *, heading: bool) -> str:
    value = (value or "").strip()
    if value and (len(value) > HS_CODE_MAX or not hs.is_valid(value, heading=heading)):
        if heading:
            raise _fail(N_("Unknown HS code “{value}”: give a 4-digit heading, a 6-digit HS 2022 subheading "
                           "or a national 8–10 digit code; the picker helps."), value=value[:20])
        raise _fail(N_("Unknown HS code “{value}”: give a 6-digit HS 2022 subheading or a national "
                       "8–10 digit code; the picker helps."), value=value[:20])
    return "".join(ch for ch in value if ch.isdigit())


class _TradeItemIn(SQLModel):
    title: str
    description: str = ""
    hs_code: str = ""
    unit: str = "kg"
    incoterms: list[str] = Field(default_factory=list)
    language: str = "en"

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value):
        return clean_text(value, required=True, max_length=TITLE_MAX)

    @field_validator("description", mode="before")
    @classmethod
    def _description(cls, value):
        return clean_text(value, required=False, max_length=DESCRIPTION_MAX)

    @field_validator("hs_code", mode="before")
    @classmethod
    def _hs_code(cls, value):
        return clean_hs_code(value, heading=False)

    @field_validator("unit", mode="before")
    @classmethod
    def _unit(cls, value):
        if value not in UNITS:
            raise _fail(N_("Choose a unit from the list."))
        return value

    @field_validator("incoterms", mode="before")
    @classmethod
    def _incoterms(cls, value):
        return clean_codes(value, INCOTERMS, N_("Unknown Incoterms rule “{value}”."))

    @field_validator("language", mode="before")
    @classmethod
    def _language(cls, value):
        if value not in LANGUAGES:
            raise _fail(N_("Choose English, Bahasa Indonesia, Russian or Kazakh."))
        return value


class ProductIn(_TradeItemIn):
    """A product profile as an exporter or producer submits it."""

    certifications: list[str] = Field(default_factory=list)
    moq: Optional[float] = None
    capacity_per_month: Optional[float] = None
    price_usd: Optional[float] = None

    @field_validator("hs_code")
    @classmethod
    def _hs_required(cls, value):
        if not value:
            raise _fail(N_("A product needs an HS code: search the picker by number or words."))
        return value

    @field_validator("certifications", mode="before")
    @classmethod
    def _certifications(cls, value):
        return clean_codes(value, CERTIFICATIONS, N_("Unknown certification “{value}”."))

    @field_validator("moq", "capacity_per_month")
    @classmethod
    def _quantities(cls, value):
        return check_amount(value, limit=MAX_QUANTITY)

    @field_validator("price_usd")
    @classmethod
    def _price(cls, value):
        return check_amount(value, limit=MAX_PRICE_USD)

    @model_validator(mode="after")
    def _capacity_covers_moq(self):
        if self.moq is not None and self.capacity_per_month is not None and self.capacity_per_month < self.moq:
            raise ValidationError.from_exception_data("ProductIn", [{
                "type": _fail(N_("Monthly capacity cannot be below the minimum order.")),
                "loc": ("capacity_per_month",), "input": self.capacity_per_month}])
        return self


class RequestIn(_TradeItemIn):
    """A buying request as a buyer or importer submits it; the HS code is optional (buyers often don't know it)."""

    required_certifications: list[str] = Field(default_factory=list)
    quantity: Optional[float] = None
    max_price_usd: Optional[float] = None

    @field_validator("hs_code", mode="before")
    @classmethod
    def _hs_code(cls, value):
        # A buyer may know only the heading ("milk powder, 0402"): it fits every subheading under it.
        return clean_hs_code(value, heading=True)

    @field_validator("required_certifications", mode="before")
    @classmethod
    def _certifications(cls, value):
        return clean_codes(value, CERTIFICATIONS, N_("Unknown certification “{value}”."))

    @field_validator("quantity")
    @classmethod
    def _quantity(cls, value):
        return check_amount(value, limit=MAX_QUANTITY)

    @field_validator("max_price_usd")
    @classmethod
    def _price(cls, value):
        return check_amount(value, limit=MAX_PRICE_USD)


class HsCodeIn(SQLModel):
    """An owner's correction of the HS code the platform inferred for a request (or its confirmation)."""

    hs_code: str

    @field_validator("hs_code", mode="before")
    @classmethod
    def _hs_code(cls, value):
        code = clean_hs_code(value, heading=True)
        if not code:
            raise _fail(N_("Give a 4-digit heading or a 6-digit subheading; the picker helps."))
        return code


class OrganisationIn(SQLModel):
    name: str
    country: str
    city: str = ""
    kind: str
    description: str = ""
    website: str = ""
    languages: list[str] = Field(default_factory=list)
    contact_person: str = ""
    contact_email: str = ""
    contact_phone: str = ""

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value):
        return clean_text(value, required=True, max_length=200)

    @field_validator("city", "contact_person", mode="before")
    @classmethod
    def _short_text(cls, value):
        return clean_text(value, required=False, max_length=120)

    @field_validator("description", mode="before")
    @classmethod
    def _description(cls, value):
        return clean_text(value, required=False, max_length=DESCRIPTION_MAX)

    @field_validator("country", mode="before")
    @classmethod
    def _country(cls, value):
        value = (value or "").strip().upper()
        if not COUNTRY.match(value):
            raise _fail(N_("Give the two-letter country code, e.g. ID or KZ."))
        return value

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value):
        if value not in ORGANISATION_KINDS:
            raise _fail(N_("Choose what your organisation does."))
        return value

    @field_validator("website", mode="before")
    @classmethod
    def _website(cls, value):
        value = check_length((value or "").strip(), WEBSITE_MAX)
        if value and not is_web_address(value):
            raise _fail(N_("Give a full web address starting with https://"))
        return value

    @field_validator("contact_email", mode="before")
    @classmethod
    def _contact_email(cls, value):
        # Optional like the other contact fields: absent or blank is "", not an error.
        value = check_length((value or "").strip(), EMAIL_MAX)
        if value and not EMAIL.match(value):
            raise _fail(N_("Give an email address, e.g. export@example.com."))
        return value

    @field_validator("contact_phone", mode="before")
    @classmethod
    def _phone(cls, value):
        value = check_length((value or "").strip(), PHONE_MAX)
        if value and not PHONE.match(value):
            raise _fail(N_("Give a phone number with its country code, e.g. +62 21 555 0100."))
        return value

    @field_validator("languages", mode="before")
    @classmethod
    def _languages(cls, value):
        return clean_codes(value, LANGUAGES, N_("Unknown language “{value}”."))


def errors_by_field(error: ValidationError, translate=lambda text: text) -> dict[str, list[str]]:
    """Pydantic's errors as ``{field: [message, …]}``, the shape forms and JSON errors both use.

    ``translate`` is gettext in the web layer; it receives the msgid before the values are filled in.
    """
    found: dict[str, list[str]] = {}
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else "__all__"
        context = item.get("ctx") or {}
        if item["type"] == "invalid" and "msgid" in context:
            message = translate(context["msgid"]).format(**context)
            found.setdefault(field, []).append(message)
            continue
        if item["type"] in ("float_parsing", "float_type", "int_parsing"):
            message = N_("Enter a number.")
        elif item["type"] == "missing":
            message = N_("This field is required.")
        else:
            message = N_("This value is not valid.")
        found.setdefault(field, []).append(translate(message))
    return found
