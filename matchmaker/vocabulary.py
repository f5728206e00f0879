"""The shared vocabulary of the platform.

Form fields, CSV columns, JSON keys and the matching engine's JSON Lines all use these names, so a
product typed into a form, uploaded as CSV or sent to the API is the same record everywhere.

Pure Python on purpose: the matching engine imports it and must stay free of Flask and the database.
Labels are plain English strings; the web layer passes them through ``gettext`` when it shows them.
"""

from __future__ import annotations

from dataclasses import dataclass


def N_(message: str) -> str:
    """Mark a label for translation (Babel extracts ``N_``); the web layer translates it when shown."""
    return message


def N_plural(singular: str, plural: str) -> tuple[str, str]:
    """Mark a singular and plural pair for translation (extracted as ``N_plural:1,2``), shown by ngettext."""
    return singular, plural


PRODUCT_FIELDS = (
    "id", "title", "description", "hs_code", "country", "certifications", "moq", "unit",
    "capacity_per_month", "price_usd", "incoterms", "language",
)
REQUEST_FIELDS = (
    "id", "title", "description", "hs_code", "country", "required_certifications", "quantity", "unit",
    "max_price_usd", "incoterms", "language",
)

LANGUAGES = {"en": N_("English"), "id": N_("Bahasa Indonesia"), "ru": N_("Russian"), "kk": N_("Kazakh")}
# Each language names itself in the switcher, so these are not translated.
INTERFACE_LOCALES = {"en": "English", "id": "Bahasa Indonesia", "ru": "Русский", "kk": "Қазақша"}


@dataclass(frozen=True)
class Certification:
    code: str
    label: str
    meaning: str


CERTIFICATIONS: dict[str, Certification] = {
    c.code: c
    for c in (
        Certification("halal", N_("Halal"),
                      N_("Required by Indonesian law (BPJPH) for meat and dairy entering Indonesia; "
                      "valued by Kazakh buyers too.")),
        Certification("eac", N_("EAC (EAEU conformity)"),
                      N_("Eurasian Conformity mark: needed to place textiles, furniture and food on the "
                      "Kazakh (EAEU) market.")),
        Certification("vet", N_("Veterinary certificate"),
                      N_("Veterinary health certificate for animal products, issued in the exporting "
                      "country and recognised by the importing one.")),
        Certification("svlk", N_("SVLK (legal timber)"),
                      N_("Indonesia's timber legality assurance system; proves furniture wood is legally "
                      "sourced.")),
        Certification("fsc", N_("FSC"),
                      N_("Forest Stewardship Council chain of custody for wood and furniture.")),
        Certification("msc", N_("MSC"),
                      N_("Marine Stewardship Council: wild-caught fish from a certified sustainable fishery.")),
        Certification("asc", N_("ASC"),
                      N_("Aquaculture Stewardship Council: responsibly farmed fish and shrimp.")),
        Certification("haccp", N_("HACCP"),
                      N_("Food-safety hazard control plan; expected for fisheries, meat and dairy plants.")),
        Certification("iso22000", N_("ISO 22000"),
                      N_("Food-safety management system standard.")),
        Certification("bpom", N_("BPOM registration"),
                      N_("Indonesian Food and Drug Authority registration (ML number) for imported "
                      "processed food sold in Indonesia.")),
        Certification("organic", N_("Organic"),
                      N_("Certified organic production.")),
    )
}

# Incoterms 2020: the eleven rules, in the ICC's order.
INCOTERMS: dict[str, str] = {
    "EXW": N_("Ex Works"),
    "FCA": N_("Free Carrier"),
    "CPT": N_("Carriage Paid To"),
    "CIP": N_("Carriage and Insurance Paid To"),
    "DAP": N_("Delivered at Place"),
    "DPU": N_("Delivered at Place Unloaded"),
    "DDP": N_("Delivered Duty Paid"),
    "FAS": N_("Free Alongside Ship"),
    "FOB": N_("Free on Board"),
    "CFR": N_("Cost and Freight"),
    "CIF": N_("Cost, Insurance and Freight"),
}

UNITS: dict[str, str] = {
    "kg": N_("kilograms"),
    "t": N_("tonnes"),
    "pcs": N_("pieces"),
    "sets": N_("sets"),
    "m": N_("metres"),
    "m2": N_("square metres"),
    "m3": N_("cubic metres"),
    "l": N_("litres"),
    "containers": N_("40-ft containers"),
}


@dataclass(frozen=True)
class UnitForms:
    """How a unit is written after a number ("1 tonne", "5 tonnes"; "5 тонн" in Russian) and after a price."""

    count: tuple[str, str]  # singular and plural msgids; ngettext picks the locale's form for the number
    per: str                # "per tonne": what a price is for


UNIT_FORMS: dict[str, UnitForms] = {
    "kg": UnitForms(N_plural("%(quantity)s kilogram", "%(quantity)s kilograms"), N_("per kilogram")),
    "t": UnitForms(N_plural("%(quantity)s tonne", "%(quantity)s tonnes"), N_("per tonne")),
    "pcs": UnitForms(N_plural("%(quantity)s piece", "%(quantity)s pieces"), N_("per piece")),
    "sets": UnitForms(N_plural("%(quantity)s set", "%(quantity)s sets"), N_("per set")),
    "m": UnitForms(N_plural("%(quantity)s metre", "%(quantity)s metres"), N_("per metre")),
    "m2": UnitForms(N_plural("%(quantity)s square metre", "%(quantity)s square metres"),
                    N_("per square metre")),
    "m3": UnitForms(N_plural("%(quantity)s cubic metre", "%(quantity)s cubic metres"),
                    N_("per cubic metre")),
    "l": UnitForms(N_plural("%(quantity)s litre", "%(quantity)s litres"), N_("per litre")),
    "containers": UnitForms(N_plural("%(quantity)s 40-ft container", "%(quantity)s 40-ft containers"),
                            N_("per 40-ft container")),
}

# How people write units and languages in spreadsheets, mapped to the codes above.
UNIT_SYNONYMS: dict[str, str] = {
    "kgs": "kg", "kilo": "kg", "kilos": "kg", "kilogram": "kg", "kilograms": "kg", "кг": "kg",
    "ton": "t", "tons": "t", "tonne": "t", "tonnes": "t", "mt": "t", "т": "t", "тонн": "t", "тонна": "t",
    "pc": "pcs", "piece": "pcs", "pieces": "pcs", "unit": "pcs", "units": "pcs", "шт": "pcs", "buah": "pcs",
    "set": "sets", "комплект": "sets", "комплектов": "sets",
    "metre": "m", "meter": "m", "metres": "m", "meters": "m", "м": "m",
    "sqm": "m2", "m²": "m2", "м2": "m2", "cbm": "m3", "m³": "m3", "м3": "m3",
    "litre": "l", "liter": "l", "litres": "l", "liters": "l", "л": "l",
    "container": "containers", "fcl": "containers",
}
LANGUAGE_SYNONYMS: dict[str, str] = {
    "english": "en", "eng": "en", "indonesian": "id", "bahasa": "id", "bahasa indonesia": "id", "ind": "id",
    "russian": "ru", "rus": "ru", "русский": "ru",
    "kazakh": "kk", "kaz": "kk", "қазақ тілі": "kk", "қазақша": "kk", "казахский": "kk",
}

ORGANISATION_KINDS: dict[str, str] = {
    "exporter": N_("Exporter"),
    "producer": N_("Producer"),
    "importer": N_("Importer"),
    "buyer": N_("Buyer"),
    "chamber": N_("Chamber of commerce"),
}
SUPPLY_KINDS = frozenset({"exporter", "producer"})
DEMAND_KINDS = frozenset({"importer", "buyer"})

SECTORS: dict[str, str] = {
    "textiles": N_("Textiles"),
    "furniture": N_("Furniture"),
    "fisheries": N_("Fisheries"),
    "meat": N_("Meat"),
    "dairy": N_("Dairy"),
    "other": N_("Other"),
}

# The focus corridors of the Indonesia–Kazakhstan programme: (exporting country, importing country).
FOCUS_CORRIDORS: dict[str, tuple[str, str]] = {
    "textiles": ("ID", "KZ"),
    "furniture": ("ID", "KZ"),
    "fisheries": ("ID", "KZ"),
    "meat": ("KZ", "ID"),
    "dairy": ("KZ", "ID"),
}

# Limits shared by forms, schemas and the engine's input checks.
TITLE_MAX = 200
DESCRIPTION_MAX = 5000
MAX_QUANTITY = 10_000_000_000  # a quantity beyond this is a typo, not an order
MAX_PRICE_USD = 100_000_000


def hs_digits(code: str | None) -> str:
    """The digits of an HS code as typed ("9403.60" or "9403 60 10" give "94036010")."""
    return "".join(ch for ch in (code or "") if ch.isdigit())


def sector_for_hs(code: str | None) -> str:
    """The platform's sector for an HS code: textiles 50–63, furniture 94, fisheries 03/1604/1605,
    meat 02/1601/1602, dairy 04, anything else ``other``."""
    digits = hs_digits(code)
    chapter, heading = digits[:2], digits[:4]
    if len(chapter) < 2:
        return "other"
    if chapter == "03" or heading in ("1604", "1605"):
        return "fisheries"
    if chapter == "02" or heading in ("1601", "1602"):
        return "meat"
    if chapter == "04":
        return "dairy"
    if chapter == "94":
        return "furniture"
    if "50" <= chapter <= "63":
        return "textiles"
    return "other"


def is_focus_corridor(sector: str, exporter_country: str | None, importer_country: str | None) -> bool:
    """True when the trade runs along the programme's corridor for this sector."""
    corridor = FOCUS_CORRIDORS.get(sector)
    return corridor is not None and corridor == (exporter_country, importer_country)
