"""Forms of the curation loop on a match page: one small form per move.

The forms only carry the CSRF token and read what was typed; the rules (which reason, what a deal
value may be, a deal date not in the future) are the curation service's, so a form, a job and an API
refuse exactly the same input. Field names are the routes' (``note``, ``reason``, ``stage``,
``deal_value_usd``, ``deal_date``); each form gives its fields their own ids, as a page shows several.
"""

from __future__ import annotations

from datetime import date
from typing import Optional

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from matchmaker.services.curation import NOTE_MAX
from matchmaker.stages import (
    DECLINE_REASON_LABELS, DISMISS_REASON_LABELS, LOST_REASON_LABELS, PROGRESS, STAGE_LABELS,
)


def _reasons(labels) -> list[SelectChoice]:
    # The service says "Choose a reason." for the empty choice, in the reader's language.
    return [SelectChoice("", _l("Choose…"))] + [SelectChoice(code.value, text) for code, text in labels.items()]


DISMISS_CHOICES = _reasons(DISMISS_REASON_LABELS)


def _note(text) -> TextAreaField:
    return TextAreaField(text, render_kw={"rows": 2, "maxlength": NOTE_MAX})


class MoveForm(FlaskForm):
    """A move's form; ``action`` names it (its fields' ids start with it)."""

    action = ""

    def __init__(self, *args, id_prefix: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.id_prefix = id_prefix
        for name, field in self._fields.items():
            if name != "csrf_token":
                field.id = field.label.field_id = f"{id_prefix}{self.action}-{name}"

    def values(self) -> dict:
        """The typed values as the curation service takes them."""
        data = {}
        if "note" in self:
            # A NUL byte is no text anyone typed, and PostgreSQL refuses to store it.
            data["note"] = (self.note.data or "").replace("\x00", "")
        if "reason" in self:
            data["reason"] = self.reason.data or None
        return data

    def refuse(self, field: Optional[str], message) -> None:
        """Show the service's refusal at its field (or above the form)."""
        target = self._fields.get(field) if field else None
        if target is None:
            self.form_errors.append(str(message))
        else:
            target.errors = list(target.errors) + [str(message)]


class InterestForm(MoveForm):
    action = "interest"
    note = _note(_l("A note for the chamber (optional)"))


class DismissForm(MoveForm):
    action = "dismiss"
    reason = SelectField(_l("Why is it not relevant?"), choices=DISMISS_CHOICES, validate_choice=False)
    note = _note(_l("Anything else? (optional)"))


class IntroduceForm(MoveForm):
    action = "introduce"
    note = _note(_l("A note to both parties (optional)"))


class DeclineForm(MoveForm):
    action = "decline"
    reason = SelectField(_l("Why not introduce them?"), choices=_reasons(DECLINE_REASON_LABELS),
                         validate_choice=False)
    note = _note(_l("A note (optional)"))


class AcceptForm(MoveForm):
    action = "accept"


class RejectForm(MoveForm):
    action = "reject"
    note = _note(_l("Why not? (optional)"))


class StageForm(MoveForm):
    """Meeting, negotiation, won (value and date) or lost (a reason)."""

    action = "stage"
    stage = SelectField(_l("New stage"), choices=[SelectChoice(s.value, STAGE_LABELS[s]) for s in PROGRESS],
                        validate_choice=False)
    deal_value_usd = StringField(_l("Deal value (USD), when won"), render_kw={"inputmode": "decimal"})
    deal_date = StringField(_l("Date the deal was signed, when won"), render_kw={"type": "date"})
    reason = SelectField(_l("Why it was lost, when lost"), choices=_reasons(LOST_REASON_LABELS),
                         validate_choice=False)
    note = _note(_l("A note (optional)"))

    def offer(self, stages) -> None:
        """Offer only the stages the match may move to now."""
        self.stage.choices = [SelectChoice(s.value, STAGE_LABELS[s]) for s in PROGRESS if s.value in stages]

    def values(self) -> dict:
        data = super().values()
        data["stage"] = self.stage.data or ""
        data["deal_value_usd"] = _amount(self.deal_value_usd.data)
        data["deal_date"] = _date(self.deal_date.data)
        return data


def _amount(text: Optional[str]):
    """ "1 250 000,50" → 1250000.5, "1,250,000" → 1250000.0; what cannot be read goes on as typed, and the service refuses it."""
    text = (text or "").replace("\u00a0", "").replace(" ", "").strip()
    if not text:
        return None
    # A comma with one or two digits after it is a decimal comma ("5,5"); any other is a thousands
    # separator ("1,250,000").
    whole, comma, cents = text.rpartition(",")
    if comma and "." not in text and "," not in whole and 1 <= len(cents) <= 2:
        text = f"{whole}.{cents}"
    text = text.replace(",", "")
    if len(text) > 30:
        return text
    try:
        return float(text)
    except ValueError:
        return text


def _date(text: Optional[str]) -> Optional[date]:
    try:
        return date.fromisoformat((text or "").strip()[:10]) if text else None
    except ValueError:
        return None


FORMS = {form.action: form for form in (InterestForm, DismissForm, IntroduceForm, DeclineForm, AcceptForm,
                                         RejectForm, StageForm)}
# The route's name → the service's transition.
ACTIONS = {"interest": "request", "dismiss": "dismiss", "introduce": "introduce", "decline": "decline",
           "accept": "accept", "reject": "reject"}
