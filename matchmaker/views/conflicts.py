"""The answer to a stale edit: what the record holds now, next to what the user typed.

Nothing the user typed is lost: the form is shown again with their values, set to save over the
current version if they decide to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_wtf import FlaskForm
from sqlmodel import SQLModel

from matchmaker.countries import country_name
from matchmaker.i18n import label

# Fields holding vocabulary codes, shown by their translated labels.
_GROUPS = {"certifications": "certification", "required_certifications": "certification",
           "incoterms": "incoterm", "languages": "language", "language": "language", "unit": "unit",
           "kind": "kind"}


@dataclass(frozen=True)
class Difference:
    label: str
    current: str
    typed: str


@dataclass(frozen=True)
class Conflict:
    version: int
    differences: list[Difference]


def conflict_with(form: FlaskForm, record: SQLModel, data: SQLModel) -> Conflict:
    """The fields where ``record`` (as stored now) differs from ``data`` (the user's validated input);
    the form is set to the record's current version, so submitting it again saves knowingly."""
    form.version.data = record.version
    differences = [
        Difference(str(form[name].label.text), _shown(name, getattr(record, name)), _shown(name, typed))
        for name, typed in data.model_dump().items() if name in form and getattr(record, name) != typed]
    return Conflict(record.version, differences)


def _shown(name: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if name == "country":
        return country_name(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(label(_GROUPS.get(name, ""), str(item)) for item in value)
    if isinstance(value, float):
        return f"{value:g}"
    return label(_GROUPS[name], value) if name in _GROUPS else str(value)
