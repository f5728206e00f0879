"""Verification with evidence on the organisation pages: a curator verifies an organisation with its
registration number and a note, members add certificates, curators verify each; badges say who
verified what and when (organisation and product pages). The rules are in services/verification.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlmodel import Session
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional as Optional_

from matchmaker import permissions
from matchmaker.db import get_session
from matchmaker.forms import LengthFirst
from matchmaker.i18n import label
from matchmaker.models import Certificate, Organisation, User
from matchmaker.services import verification
from matchmaker.services.curation import Refused
from matchmaker.vocabulary import CERTIFICATIONS

# ``matchmaker certificates expire`` is this blueprint's command (a daily job).
bp = Blueprint("verification", __name__, cli_group="certificates")


class VerifyForm(FlaskForm):
    registration_number = StringField(_l("Registration number (NIB in Indonesia, BIN in Kazakhstan)"),
                                      validators=[LengthFirst(max=60)])
    note = TextAreaField(_l("What you checked"), validators=[LengthFirst(max=verification.NOTE_MAX)],
                         render_kw={"rows": 2})


class WithdrawForm(FlaskForm):
    note = TextAreaField(_l("Why the verification is withdrawn"),
                         validators=[LengthFirst(max=verification.NOTE_MAX)], render_kw={"rows": 2})


class CertificateForm(FlaskForm):
    kind = SelectField(_l("Certificate"))
    issuer = StringField(_l("Issued by"), validators=[LengthFirst(max=verification.ISSUER_MAX)])
    number = StringField(_l("Certificate number"), validators=[LengthFirst(max=verification.NUMBER_MAX)])
    expires_on = DateField(_l("Valid until"), validators=[Optional_()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice(code, label("certification", code)) for code in CERTIFICATIONS]


class ActionForm(FlaskForm):
    """A CSRF-protected button (verify or withdraw a certificate, remove it)."""


@dataclass
class Verifier:
    name: str
    chamber: str


@dataclass
class CertificateRow:
    certificate: Certificate
    status: str
    verifier: Optional[Verifier]


@dataclass
class Panel:
    """What the organisation page shows and offers about verification."""

    org: Organisation
    verifier: Optional[Verifier]
    number_name: str
    certificates: list[CertificateRow]
    may_verify: bool
    why_not: Optional[str]
    own: bool
    forms: dict = field(default_factory=dict)


def verifier(session: Session, user_id: Optional[int]) -> Optional[Verifier]:
    user = session.get(User, user_id) if user_id else None
    if user is None:
        return None
    chamber = user.organisation.name if user.organisation is not None else _("the platform")
    return Verifier(user.name or _("a curator"), chamber)


def number_name(country: str) -> str:
    return verification.NUMBER_NAMES.get(country) or _("Registration number")


def certificate_rows(session: Session, organisation_id: int, kinds=None) -> list[CertificateRow]:
    today = verification.today_utc()
    return [CertificateRow(c, verification.status(c, today),
                           verifier(session, c.verified_by_id) if c.verified_at else None)
            for c in verification.for_organisation(session, organisation_id) if kinds is None or c.kind in kinds]


def verification_panel(session: Session, user, org: Organisation, **forms) -> Panel:
    problem = verification.refusal(user, org)
    curator = getattr(user, "is_authenticated", False) and user.is_curator
    forms = {"verify_form": VerifyForm(formdata=None, registration_number=org.registration_number),
             "withdraw_form": WithdrawForm(formdata=None), "certificate_form": CertificateForm(formdata=None),
             "action_form": ActionForm(formdata=None), **forms}
    return Panel(org=org, verifier=verifier(session, org.verified_by_id) if org.verified else None,
                 number_name=number_name(org.country), certificates=certificate_rows(session, org.id),
                 may_verify=problem is None, why_not=str(problem.message) if problem and curator else None,
                 own=permissions.is_member_of(user, org.id), forms=forms)


def _organisation(org_id: int) -> Organisation:
    org = get_session().get(Organisation, org_id)
    if org is None:
        abort(404)
    return org


def _certificate(cert_id: int) -> Certificate:
    certificate = get_session().get(Certificate, cert_id)
    if certificate is None:
        abort(404)
    return certificate


def _back(org_id: int):
    return redirect(url_for("organisations.detail", org_id=org_id, _anchor="evidence"))


def _again(org: Organisation, name: str, form: FlaskForm, refused: Optional[Refused] = None):
    """The organisation page again, with the form's errors (and the service's refusal at its field)."""
    from matchmaker.views.organisations import render_detail

    if refused is not None:
        if refused.code == "forbidden":
            abort(403)
        target = form._fields.get(refused.field) if refused.field else None
        if target is not None:
            target.errors = [*target.errors, str(refused.message)]
        else:
            form.form_errors.append(str(refused.message))
    return render_detail(org, status=409 if refused is not None and refused.code == "stage" else 400,
                         **{name: form})


def _curator_only(org: Organisation) -> None:
    if verification.refusal(current_user, org) is not None:
        abort(403)


def _organisation_action(org_id: int, name: str, form: FlaskForm, act, done: str):
    """A curator's verify or withdraw: 404 for no such organisation, 403 for whoever may not, the page
    again with the errors for bad input, else the change and back to the page."""
    org = _organisation(org_id)
    _curator_only(org)
    if not form.validate_on_submit():
        return _again(org, name, form)
    try:
        act(get_session(), organisation_id=org.id, user_id=current_user.id,
            **{key: field.data for key, field in form._fields.items() if key != "csrf_token"})
    except Refused as refused:
        return _again(org, name, form, refused)
    flash(done, "success")
    return _back(org.id)


@bp.post("/organisations/<id:org_id>/verify")
@login_required
def verify_organisation(org_id: int):
    return _organisation_action(org_id, "verify_form", VerifyForm(), verification.verify_organisation,
                                _("Marked as verified."))


@bp.post("/organisations/<id:org_id>/unverify")
@login_required
def withdraw_organisation(org_id: int):
    return _organisation_action(org_id, "withdraw_form", WithdrawForm(), verification.withdraw_organisation,
                                _("Verification withdrawn."))


@bp.post("/organisations/<id:org_id>/certificates")
@login_required
def add_certificate(org_id: int):
    org = _organisation(org_id)
    if not permissions.is_member_of(current_user, org.id):
        abort(403)
    form = CertificateForm()
    if not form.validate_on_submit():
        return _again(org, "certificate_form", form)
    try:
        verification.add_certificate(get_session(), organisation_id=org.id, user_id=current_user.id,
                                     kind=form.kind.data, issuer=form.issuer.data, number=form.number.data,
                                     expires_on=form.expires_on.data)
    except Refused as refused:
        return _again(org, "certificate_form", form, refused)
    flash(_("Certificate added. A curator of your chamber will verify it."), "success")
    return _back(org.id)


def _certificate_action(cert_id: int, act, done: str):
    certificate = _certificate(cert_id)
    org = certificate.organisation
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        act(get_session(), certificate_id=certificate.id, user_id=current_user.id)
    except Refused as refused:
        return _again(org, "action_form", form, refused)
    flash(done, "success")
    return _back(org.id)


@bp.post("/certificates/<id:cert_id>/verify")
@login_required
def verify_certificate(cert_id: int):
    _curator_only(_certificate(cert_id).organisation)
    return _certificate_action(cert_id, verification.verify_certificate, _("Certificate verified."))


@bp.post("/certificates/<id:cert_id>/withdraw")
@login_required
def withdraw_certificate(cert_id: int):
    _curator_only(_certificate(cert_id).organisation)
    return _certificate_action(cert_id, verification.withdraw_certificate,
                               _("The certificate's verification is withdrawn."))


@bp.post("/certificates/<id:cert_id>/delete")
@login_required
def remove_certificate(cert_id: int):
    if not permissions.is_member_of(current_user, _certificate(cert_id).organisation_id):
        abort(403)
    return _certificate_action(cert_id, verification.remove_certificate, _("Certificate removed."))


@bp.cli.command("expire")
def expire_command() -> None:
    """Record certificates whose expiry date has passed (once each) and tell their owners. Run daily."""
    import click

    expired = verification.expire_certificates(get_session())
    click.echo(f"{len(expired)} certificate(s) newly expired.")


@bp.app_context_processor
def badges():
    """For the product and request pages: the organisation's verification and the certificates behind
    the item's certifications."""

    def organisation_verifier(org: Organisation) -> Optional[Verifier]:
        return verifier(get_session(), org.verified_by_id) if org.verified else None

    def item_certificates(item) -> list[CertificateRow]:
        kinds = getattr(item, "certifications", None)
        return certificate_rows(get_session(), item.organisation_id, set(kinds)) if kinds else []

    return {"organisation_verifier": organisation_verifier, "item_certificates": item_certificates,
            "registration_number_name": number_name}
