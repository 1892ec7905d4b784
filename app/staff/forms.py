"""Staff forms: login, replies, notes and the actions on a case."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    MultipleFileField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length, Optional

from app.forms import Form, IdField, message_length
from app.ids import MAX_ID


class LoginForm(Form):
    # an e-mail address, or the mobile number the person gave on /staff/alerts
    email = StringField(_l("E-mail or mobile number"), validators=[DataRequired(),
                                                                    Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class PasswordChangeForm(Form):
    current = PasswordField(_l("Current password"), render_kw={"autocomplete": "current-password"},
                            validators=[DataRequired(), Length(max=1024)])
    password = PasswordField(_l("New password"), render_kw={"autocomplete": "new-password"},
                             validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(_l("The same password again"),
                            render_kw={"autocomplete": "new-password"},
                            validators=[DataRequired(), EqualTo(
                                "password", message=_l("The two passwords differ."))])


class ReplyForm(Form):
    body = TextAreaField(
        _l("Reply to the visitor"),
        validators=[
            DataRequired(message=_l("Please write the reply.")),
            message_length(),
        ],
    )
    # optional: a client that leaves it out keeps the status (a new case is acknowledged)
    status = SelectField(_l("Status after the reply"), choices=[], validate_choice=True,
                         validators=[Optional()])
    referred_to = StringField(_l("Referred to (only for “referred elsewhere”)"),
                              validators=[Optional(), Length(max=200)])


class PhotoForm(Form):
    photos = MultipleFileField(_l("Add photos (up to 3 per case)"))

class NoteForm(Form):
    body = TextAreaField(
        _l("Internal note (only staff see it)"),
        validators=[
            DataRequired(message=_l("Please write the note.")),
            message_length(),
        ],
    )


class StatusForm(Form):
    status = StringField(_l("New status"), validators=[DataRequired()])
    referred_to = StringField(_l("Referred to (who takes it over)"),
                              validators=[Optional(), Length(max=200)])
    # a public reply in the same step: closing a case that has none yet needs one
    reply = TextAreaField(_l("Reply to the visitor"), validators=[Optional(), message_length()])


class AssignForm(Form):
    assignee_id = IdField(_l("Colleague"), validators=[DataRequired()])


class SplitForm(Form):
    link_id = IdField(validators=[DataRequired()], maximum=MAX_ID)  # a report: 64-bit


class MergeForm(Form):
    # the other case's reference as staff see it (RT-2026-000123)
    into = StringField(_l("Merge into case"), validators=[
        DataRequired(message=_l("Write the reference of the case to merge this one into.")),
        Length(max=40)])


class PublishForm(Form):
    # the text public outputs show for the case; empty withdraws it
    summary = TextAreaField(_l("Public summary"), validators=[Optional(), message_length()])


class PrivateForm(Form):
    private = StringField(validators=[AnyOf(["0", "1"], message=_l("Choose yes or no."))])


class UrgentForm(Form):
    urgent = StringField(validators=[AnyOf(["0", "1"], message=_l("Choose yes or no."))])


class CategoryForm(Form):
    category = StringField(_l("What it is about"), validators=[
        DataRequired(message=_l("Please choose one of the unit's categories.")),
        Length(max=32)])


class TransferForm(Form):
    note = TextAreaField(
        _l("Note for the visitor (shown on their page: where the case went and why)"),
        validators=[DataRequired(message=_l("Write the visitor a note: where the case goes "
                                             "and why.")), message_length()])
    # one of the two: a park's park_code, or an outside office's id
    park = StringField(_l("To a park"), validators=[Optional(), Length(max=32)])
    office = StringField(_l("To an outside office"), validators=[Optional(), Length(max=12)])


class PhotoPublicForm(Form):
    public = StringField(validators=[AnyOf(["0", "1"], message=_l("Choose yes or no."))])


class ActionForm(Form):
    """A button with nothing but its CSRF token (claim, hand back)."""


class NewCaseForm(Form):
    """A case staff take down: `spot` is a spot's code and `category` a category code (the
    service checks both against the unit; another unit's spot is not found)."""

    spot = StringField(_l("Where"), validators=[DataRequired(message=_l("Please choose the spot.")),
                                                Length(max=16)])
    category = StringField(_l("What it is about"), validators=[
        DataRequired(message=_l("Please choose what the message is about.")), Length(max=32)])
    body = TextAreaField(_l("What was reported"), validators=[
        DataRequired(message=_l("Please write a few words about the problem.")),
        message_length()])
    channel = StringField(_l("How you heard of it"), validators=[
        DataRequired(message=_l("Please choose how you heard of it.")), Length(max=16)])
    contact = StringField(_l("The visitor's phone or e-mail, if they want an answer"),
                          validators=[Optional(), Length(max=254)])
    photos = MultipleFileField(_l("Photos (up to 3)"))


class ReachForm(Form):
    """How alerts reach me off the page (/staff/alerts)."""

    mobile = StringField(_l("Mobile number"), render_kw={"autocomplete": "tel",
                                                          "inputmode": "tel"},
                         validators=[Optional(), Length(max=32)])
    alert_push = BooleanField(_l("Push to my phones with alerts on"))
    alert_sms = BooleanField(_l("SMS to my mobile (urgent cases and escalations)"))
    quiet_start = StringField(_l("Quiet from"), render_kw={"type": "time"},
                              validators=[Optional(), Length(max=5)])
    quiet_end = StringField(_l("Quiet until"), render_kw={"type": "time"},
                            validators=[Optional(), Length(max=5)])
    on_call = BooleanField(_l("I am on call: text me when an urgent case is not claimed"))


class HotlineReplyForm(Form):
    """The 回单 of a 12345 case (POST /staff/cases/<id>/hotline-reply)."""

    contact_made = SelectField(_l("Contact with the citizen"), choices=[
        SelectChoice("contacted", _l("contacted the citizen")),
        SelectChoice("unreachable", _l("could not reach the citizen")),
        SelectChoice("not_needed", _l("no contact needed"))], validators=[DataRequired()])
    result = SelectField(_l("Result"), choices=[
        SelectChoice("resolved", _l("resolved")), SelectChoice("explained", _l("explained")),
        SelectChoice("unresolved", _l("not resolved"))], validators=[DataRequired()])
    body = TextAreaField(_l("Answer for the hotline"), validators=[
        DataRequired(message=_l("Please write the answer.")), message_length()])
    resolve = BooleanField(_l("The problem is fixed: mark the case resolved"))
