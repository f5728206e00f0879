"""Plain input records of the engine: what a seller offers and what a buyer asks for.

Field names are exactly the shared vocabulary (``matchmaker.vocabulary.PRODUCT_FIELDS`` and
``REQUEST_FIELDS``), so a form, a CSV row, an API payload and a JSON Lines record all map onto them
with ``from_mapping``. A missing value is ``None`` (or an empty tuple), which the engine reads as
"unknown", never as zero.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping

from matchmaker import vocabulary as vocab
from matchmaker.matching.once import built_once

__all__ = ["Product", "Demand", "InputError"]

_LIST_SEPARATORS = re.compile(r"[;,\s]+")


class InputError(ValueError):
    """A field of an input record has a value the engine cannot use.

    >>> try:
    ...     Product.from_mapping({"id": "p1", "title": "Teak chair", "incoterms": "FOBB"})
    ... except InputError as error:
    ...     print(error.field)
    incoterms
    """

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, float) and math.isnan(value))


def _text(data: Mapping, field: str, limit: int, *, required: bool = False) -> str | None:
    value = data.get(field)
    if _blank(value):
        if required:
            raise InputError(field, "is required")
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise InputError(field, f"must be text, not {type(value).__name__}")
    value = str(value).strip()
    if len(value) > limit:
        raise InputError(field, f"is {len(value)} characters long; the limit is {limit}")
    return value


def _number(data: Mapping, field: str, limit: float) -> float | None:
    value = data.get(field)
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise InputError(field, "must be a number")
    try:
        number = float(str(value).strip().replace(" ", "").replace("_", "")) if isinstance(value, str) \
            else float(value)
    except (TypeError, ValueError):
        raise InputError(field, f"must be a number, got {value!r}") from None
    if math.isnan(number) or number < 0:
        raise InputError(field, f"must be zero or more, got {value!r}")
    if number > limit:
        raise InputError(field, f"{number:g} is beyond the limit of {limit:g}")
    return number


def _codes(data: Mapping, field: str, known: Mapping, *, upper: bool) -> tuple[str, ...]:
    value = data.get(field)
    if _blank(value):
        return ()
    items = _LIST_SEPARATORS.split(value) if isinstance(value, str) else list(value)
    codes = set()
    for item in items:
        code = str(item).strip()
        code = code.upper() if upper else code.lower()
        if not code:
            continue
        if code not in known:
            raise InputError(field, f"unknown code {code!r}; known: {', '.join(known)}")
        codes.add(code)
    return tuple(sorted(codes))


def _choice(data: Mapping, field: str, known: Mapping, *, upper: bool,
            synonyms: Mapping[str, str] = {}) -> str | None:
    value = _text(data, field, 40)
    if value is None:
        return None
    value = value.upper() if upper else value.lower().rstrip(".")
    value = synonyms.get(value, value)
    if value not in known:
        raise InputError(field, f"unknown value {value!r}; known: {', '.join(known)}")
    return value


def _hs_code(data: Mapping) -> str | None:
    value = _text(data, "hs_code", 20)
    if value is None:
        return None
    digits = vocab.hs_digits(value)
    if len(digits) < 2 or len(digits) > 10 or re.search(r"[^\d.\s-]", value):
        raise InputError("hs_code", f"{value!r} is not an HS code (2 to 10 digits, like 9403.60)")
    return digits


def _country(data: Mapping) -> str | None:
    value = _text(data, "country", 10)
    if value is None:
        return None
    if re.fullmatch(r"[A-Za-z]{2}", value):
        return value.upper()
    code = _country_codes_by_name().get(value.lower())
    if code is None:
        raise InputError("country", f"{value!r} is not a country code like ID or KZ, nor a country name")
    return code


@built_once
def _country_codes_by_name() -> Mapping[str, str]:
    """"Indonesia", «Казахстан», «Қазақстан» → ID, KZ: country names in the four languages (CLDR)."""
    from babel import Locale

    names = {}
    for language in ("en", "id", "ru", "kk"):
        for code, name in Locale(language).territories.items():
            if len(code) == 2 and code.isalpha():
                names.setdefault(name.lower(), code)
    return MappingProxyType(names)  # shared by every thread: read-only


def _common(data: Mapping) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise InputError("record", f"must be a mapping of field names to values, not {type(data).__name__}")
    return {
        "id": _text(data, "id", 200, required=True),
        "title": _text(data, "title", vocab.TITLE_MAX, required=True),
        "description": _text(data, "description", vocab.DESCRIPTION_MAX),
        "hs_code": _hs_code(data),
        "country": _country(data),
        "unit": _choice(data, "unit", vocab.UNITS, upper=False, synonyms=vocab.UNIT_SYNONYMS),
        "incoterms": _codes(data, "incoterms", vocab.INCOTERMS, upper=True),
        "language": _choice(data, "language", vocab.LANGUAGES, upper=False, synonyms=vocab.LANGUAGE_SYNONYMS),
    }


@dataclass(frozen=True)
class Product:
    """What an exporter offers. Build it with :meth:`from_mapping` to get the input checks.

    >>> p = Product.from_mapping({"id": "p1", "title": "Kursi jati", "certifications": "svlk; fsc",
    ...                           "moq": "200", "country": "id"})
    >>> p.certifications, p.moq, p.country
    (('fsc', 'svlk'), 200.0, 'ID')
    """

    id: str
    title: str
    description: str | None = None
    hs_code: str | None = None
    country: str | None = None
    certifications: tuple[str, ...] = ()
    moq: float | None = None
    unit: str | None = None
    capacity_per_month: float | None = None
    price_usd: float | None = None
    incoterms: tuple[str, ...] = ()
    language: str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> "Product":
        """Check and convert a dict keyed by ``vocabulary.PRODUCT_FIELDS``; raise :class:`InputError`."""
        return cls(
            **_common(data),
            certifications=_codes(data, "certifications", vocab.CERTIFICATIONS, upper=False),
            moq=_number(data, "moq", vocab.MAX_QUANTITY),
            capacity_per_month=_number(data, "capacity_per_month", vocab.MAX_QUANTITY),
            price_usd=_number(data, "price_usd", vocab.MAX_PRICE_USD),
        )


@dataclass(frozen=True)
class Demand:
    """What a buyer asks for. Build it with :meth:`from_mapping` to get the input checks.

    >>> d = Demand.from_mapping({"id": "d1", "title": "Мебель из тика", "required_certifications": ["eac"],
    ...                          "quantity": 500, "incoterms": "fob cif"})
    >>> d.required_certifications, d.incoterms
    (('eac',), ('CIF', 'FOB'))
    """

    id: str
    title: str
    description: str | None = None
    hs_code: str | None = None
    country: str | None = None
    required_certifications: tuple[str, ...] = ()
    quantity: float | None = None
    unit: str | None = None
    max_price_usd: float | None = None
    incoterms: tuple[str, ...] = ()
    language: str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> "Demand":
        """Check and convert a dict keyed by ``vocabulary.REQUEST_FIELDS``; raise :class:`InputError`."""
        return cls(
            **_common(data),
            required_certifications=_codes(data, "required_certifications", vocab.CERTIFICATIONS,
                                           upper=False),
            quantity=_number(data, "quantity", vocab.MAX_QUANTITY),
            max_price_usd=_number(data, "max_price_usd", vocab.MAX_PRICE_USD),
        )
