"""HTML forms (Flask-WTF): CSRF, rendering and re-filling what the user typed.

The rules themselves live in :mod:`matchmaker.schemas`; a form hands its data to the schema and shows
the schema's errors at the fields, so the web form and the future API refuse exactly the same input.
"""

from __future__ import annotations

from flask_babel import gettext, lazy_gettext as _l
from flask_wtf import FlaskForm
from pydantic import ValidationError
from wtforms import (
    BooleanField, EmailField, HiddenField, PasswordField, SelectField, SelectMultipleField, StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, StopValidation
from wtforms.validators import ValidationError as FieldError
from wtforms.widgets import CheckboxInput, ListWidget

from matchmaker.i18n import label
from matchmaker.schemas import errors_by_field
from matchmaker.vocabulary import (
    CERTIFICATIONS, DESCRIPTION_MAX, INCOTERMS, LANGUAGES, ORGANISATION_KINDS, TITLE_MAX, UNITS,
)

NUMBER_FIELDS = ("moq", "capacity_per_month", "price_usd", "quantity", "max_price_usd")


def _clean_email(value):
    # Pasted addresses often carry spaces; logins compare emails in lower case.
    return value.strip().lower() if isinstance(value, str) else value


class LengthFirst(Length):
    """``Length`` that ends the field's validation when it fails: WTForms runs every validator of a
    field, and parsing a megabyte-long "email address" costs a second of CPU. Put it first."""

    def __call__(self, form, field):
        try:
            super().__call__(form, field)
        except FieldError as error:
            raise StopValidation(str(error)) from error


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SchemaForm(FlaskForm):
    """A form whose data is validated by a pydantic schema."""

    schema = None
    exclude: tuple[str, ...] = ("csrf_token", "submit", "publish", "version")
    # An edit form carries the version of the record it showed, so that saving notices a change
    # someone else made meanwhile instead of overwriting it.
    version = HiddenField()

    def opened_version(self) -> int:
        """The record version this form was opened at; 0 (never a stored version) when missing."""
        value = str(self.version.data or "").strip()
        return int(value) if value.isdigit() and len(value) <= 9 else 0

    def payload(self) -> dict:
        data = {}
        for name, field in self._fields.items():
            if name in self.exclude:
                continue
            value = field.data
            if name in NUMBER_FIELDS:
                # People type "20 000" or "5,5"; read them as 20000 and 5.5.
                value = (value or "").replace("\u00a0", "").replace(" ", "").replace(",", ".") or None
            data[name] = value
        return data

    def validated(self):
        """The schema instance, or ``None`` after putting the schema's messages on the fields."""
        try:
            return self.schema.model_validate(self.payload())
        except ValidationError as error:
            for field, messages in errors_by_field(error, gettext).items():
                target = self._fields.get(field)
                if target is None:
                    self.form_errors.extend(messages)
                else:
                    target.errors = list(target.errors) + messages
            return None


def _choices(group: str, codes) -> list[SelectChoice]:
    return [SelectChoice(code, label(group, code)) for code in codes]


class _TradeItemForm(SchemaForm):
    title = StringField(_l("Title"), render_kw={"maxlength": TITLE_MAX, "required": True})
    description = TextAreaField(_l("Description"), render_kw={"rows": 6, "maxlength": DESCRIPTION_MAX})
    hs_code = StringField(_l("HS code"), render_kw={"autocomplete": "off", "inputmode": "numeric"})
    unit = SelectField(_l("Unit"))
    incoterms = MultiCheckboxField(_l("Incoterms 2020"))
    language = SelectField(_l("Language of the text"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit.choices = _choices("unit", UNITS)
        self.incoterms.choices = _choices("incoterm", INCOTERMS)
        self.language.choices = _choices("language", LANGUAGES)


class ProductForm(_TradeItemForm):
    certifications = MultiCheckboxField(_l("Certifications held"))
    moq = StringField(_l("Minimum order quantity"), render_kw={"inputmode": "decimal"})
    capacity_per_month = StringField(_l("Capacity per month"), render_kw={"inputmode": "decimal"})
    price_usd = StringField(_l("Price per unit (USD)"), render_kw={"inputmode": "decimal"})

    def __init__(self, *args, **kwargs):
        from matchmaker.schemas import ProductIn

        self.schema = ProductIn
        super().__init__(*args, **kwargs)
        self.certifications.choices = _choices("certification", CERTIFICATIONS)


class RequestForm(_TradeItemForm):
    exclude = SchemaForm.exclude + ("corridor_checked",)

    required_certifications = MultiCheckboxField(_l("Required certifications"))
    # The sector whose corridor defaults the owner has already seen ticked (and may have unticked).
    corridor_checked = HiddenField()
    quantity = StringField(_l("Quantity needed"), render_kw={"inputmode": "decimal"})
    max_price_usd = StringField(_l("Maximum price per unit (USD)"), render_kw={"inputmode": "decimal"})

    def __init__(self, *args, **kwargs):
        from matchmaker.schemas import RequestIn

        self.schema = RequestIn
        super().__init__(*args, **kwargs)
        self.required_certifications.choices = _choices("certification", CERTIFICATIONS)


class HsCodeForm(SchemaForm):
    """The owner's correction of what the platform read from a request without an HS code."""

    hs_code = StringField(_l("The right HS code"), render_kw={"autocomplete": "off", "required": True})

    def __init__(self, *args, **kwargs):
        from matchmaker.schemas import HsCodeIn

        self.schema = HsCodeIn
        super().__init__(*args, **kwargs)


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[LengthFirst(max=254), DataRequired()], filters=[_clean_email])
    password = PasswordField(_l("Password"), validators=[LengthFirst(max=200), DataRequired()])
    remember = BooleanField(_l("Keep me signed in"))


class OrganisationForm(SchemaForm):
    """The organisation's public profile and its private contact."""

    name = StringField(_l("Organisation name"), render_kw={"maxlength": 200, "required": True})
    kind = SelectField(_l("What your organisation does"))
    country = SelectField(_l("Country"))
    city = StringField(_l("City"), render_kw={"maxlength": 120})
    description = TextAreaField(_l("About the organisation"), render_kw={"rows": 4})
    website = StringField(_l("Website"), render_kw={"placeholder": "https://"})
    languages = MultiCheckboxField(_l("Working languages"))
    contact_person = StringField(_l("Contact person"))
    contact_email = EmailField(_l("Contact email"), validators=[LengthFirst(max=254), Optional(), Email()])
    contact_phone = StringField(_l("Contact phone"))

    def __init__(self, *args, **kwargs):
        from matchmaker.countries import country_choices
        from matchmaker.schemas import OrganisationIn

        self.schema = OrganisationIn
        super().__init__(*args, **kwargs)
        self.kind.choices = _choices("kind", ORGANISATION_KINDS)
        self.country.choices = country_choices()
        self.languages.choices = _choices("language", LANGUAGES)


class RegisterForm(OrganisationForm):
    """An organisation and its first user, in one form."""

    exclude = SchemaForm.exclude + ("email", "password", "confirm", "person_name")

    person_name = StringField(_l("Your name"), validators=[LengthFirst(max=200)])
    email = EmailField(_l("Your login email"), validators=[LengthFirst(max=254), DataRequired(), Email()],
                       filters=[_clean_email])
    password = PasswordField(_l("Password"), validators=[LengthFirst(max=200), DataRequired(),
                                                         Length(min=10)])
    confirm = PasswordField(_l("Repeat the password"), validators=[EqualTo("password", message=_l("The passwords differ."))])


class StatusForm(FlaskForm):
    """Publish, archive or return to draft: a CSRF-protected button."""


class UserAdminForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[SelectChoice("member", _l("Member")),
                                             SelectChoice("curator", _l("Curator")),
                                             SelectChoice("admin", _l("Administrator"))])
    active = BooleanField(_l("Active"))
