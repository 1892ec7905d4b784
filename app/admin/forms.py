"""Directors' forms: unit settings, categories, routing rules, reply templates, staff."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)
from wtforms.widgets import CheckboxInput, ListWidget

from app.forms import Form, message_length
from app.models import ROLES
from app.services.accounts.settings import ANSWERING_ROLES, CATEGORY_CODE, TIME
from app.services.accounts.staff import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from app.services.cases.workflow import ROLE_LABELS
from app.services.cases.zones import ZoneFields

WEEKDAYS = [SelectChoice(str(day), label) for day, label in enumerate(
    (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun")), start=1)]


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes (big enough to tap on a phone)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def role_choices(roles: tuple[str, ...] = ROLES) -> list[SelectChoice]:
    return [SelectChoice(role, ROLE_LABELS[role]) for role in roles]


def optional_int(value: Any) -> int | None:
    """Select values of "no choice" ("") become None."""
    return int(value) if value not in (None, "", "None") else None


def yes_no(value: Any) -> bool:
    """A yes/no choice ("1"/"0", or the object's bool); anything else is not a choice."""
    if value in (True, "1"):
        return True
    if value in (False, "0"):
        return False
    raise ValueError("not a yes/no choice")


class ActionForm(Form):
    """A button that changes something: only the CSRF token."""


class UnitSettingsForm(Form):
    work_start = StringField(_l("Working day starts"), validators=[
        DataRequired(), Regexp(TIME.pattern, message=_l("A time like 08:00."))])
    work_end = StringField(_l("Working day ends"), validators=[
        DataRequired(), Regexp(TIME.pattern, message=_l("A time like 18:00."))])
    work_days = CheckboxesField(_l("Working days"), choices=WEEKDAYS, validators=[
        DataRequired(message=_l("Choose at least one working day."))])
    autoclose_days = IntegerField(_l("Close a resolved case automatically after (days)"),
                                  validators=[InputRequired(), NumberRange(1, 365)])
    me_too_window_hours = IntegerField(
        _l("\"Me too\": join a new message to an open case of the same spot and category "
           "within (hours)"), validators=[InputRequired(), NumberRange(0, 24 * 30)])
    emergency_numbers = TextAreaField(
        _l("Emergency numbers on every form (one a line: number, Chinese label, English label)"),
        validators=[DataRequired(), Length(max=500)])
    danger_words = TextAreaField(
        _l("Words that make a message urgent, besides the built-in list (one a line; a line "
           "starting with ! is an everyday phrase that is not a danger)"),
        validators=[Optional(), Length(max=5000)])
    hotline_respond_hours = IntegerField(
        _l("12345 tickets: contact the citizen within (hours)"),
        validators=[InputRequired(), NumberRange(1, 24 * 7)])
    hotline_resolve_days = IntegerField(
        _l("12345 tickets: finish within (days)"),
        validators=[InputRequired(), NumberRange(1, 90)])
    ladder_sms_minutes = IntegerField(
        _l("An urgent case nobody has taken on goes by SMS to its role's on-call staff after "
           "(minutes)"), validators=[DataRequired(), NumberRange(1, 240)])
    ladder_director_sms = SelectField(
        _l("At a case's claim deadline, the directors get"),
        choices=[SelectChoice("1", _l("A push and an SMS")),
                 SelectChoice("0", _l("A push only"))],
        coerce=yes_no)


class CategoryForm(Form):
    code = StringField(_l("Code (letters, digits, - or _; cannot change later)"), validators=[
        Optional(), Regexp(CATEGORY_CODE.pattern, message=_l("For example: toilets"))])
    name_zh = StringField(_l("Name in Chinese"), validators=[DataRequired(), Length(max=60)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=60)])
    icon = StringField(_l("Icon (an emoji)"), validators=[Optional(), Length(max=16)])
    role = SelectField(_l("Answered by"), choices=role_choices(ANSWERING_ROLES))
    urgent = BooleanField(_l("Urgent: time limits count around the clock"))
    sort_order = IntegerField(_l("Order on the visitor's form"), default=0,
                              validators=[InputRequired(), NumberRange(-1000, 1000)])
    active = BooleanField(_l("Offered to visitors"), default=True)
    claim_minutes = IntegerField(_l("Claim within (minutes)"), default=30,
                                 validators=[InputRequired(), NumberRange(1, 7 * 24 * 60)])
    first_reply_hours = IntegerField(_l("First reply within (hours)"), default=4,
                                     validators=[InputRequired(), NumberRange(1, 30 * 24)])
    resolve_days = IntegerField(_l("Resolve within (days)"), default=3,
                                validators=[InputRequired(), NumberRange(1, 365)])


class RoutingRuleForm(Form):
    category_id = SelectField(_l("Category"), coerce=int, choices=[])
    park_id = SelectField(_l("Only in this park"), coerce=optional_int, choices=[],
                          validators=[Optional()])
    spot_id = SelectField(_l("Only at this spot"), coerce=optional_int, choices=[],
                           validators=[Optional()])
    role = SelectField(_l("Answered by"), choices=role_choices(ANSWERING_ROLES))


class ReplyTemplateForm(Form):
    title = StringField(_l("Title (for staff)"), validators=[DataRequired(), Length(max=80)])
    body = TextAreaField(_l("Text (the visitor sees it)"),
                         validators=[DataRequired(), message_length()])
    category_id = SelectField(_l("Category"), coerce=optional_int, choices=[],
                              validators=[Optional()])
    active = BooleanField(_l("Offered to staff"), default=True)


CREDENTIAL_CHOICES = [
    SelectChoice("password", _l("A temporary password, shown to you once")),
    SelectChoice("link", _l("A link to set a password (valid for a limited time)")),
]


class StaffCreateForm(Form):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    roles = CheckboxesField(_l("Roles"), choices=role_choices(), validators=[
        DataRequired(message=_l("Choose at least one role."))])
    credential = RadioField(_l("How they get in"), choices=CREDENTIAL_CHOICES,
                            default="password")


class StaffRolesForm(Form):
    roles = CheckboxesField(_l("Roles"), choices=role_choices(), validators=[
        DataRequired(message=_l("Choose at least one role."))])


class PasswordResetForm(Form):
    credential = RadioField(_l("New way in"), choices=CREDENTIAL_CHOICES, default="password")


class SetPasswordForm(Form):
    password = PasswordField(_l("New password"), render_kw={"autocomplete": "new-password"},
                             validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH,
                                                                max=MAX_PASSWORD_LENGTH)])
    confirm = PasswordField(_l("The same password again"),
                            render_kw={"autocomplete": "new-password"},
                            validators=[DataRequired(), EqualTo(
                                "password", message=_l("The two passwords differ."))])


class ZoneForm(Form):
    """A seasonal zone, opened by a director (/admin/zones) or the bureau (/bureau/zones)."""

    code = StringField(_l("Code"), validators=[
        DataRequired(message=_l("Please give the zone a code.")), Length(max=32)])
    name_zh = StringField(_l("Name (Chinese)"), validators=[
        DataRequired(message=_l("Please give the zone a Chinese name.")), Length(max=60)])
    name_en = StringField(_l("Name (English)"), validators=[Length(max=60)])
    message_zh = TextAreaField(_l("Message (Chinese)"), render_kw={"rows": 2}, validators=[
        DataRequired(message=_l("Please write the zone's message in Chinese.")),
        Length(max=300)])
    message_en = TextAreaField(_l("Message (English)"), render_kw={"rows": 2},
                               validators=[Length(max=300)])
    category_zh = StringField(_l("Its choice on the form (Chinese, optional)"),
                              validators=[Length(max=60)])
    category_en = StringField(_l("Its choice on the form (English, optional)"),
                              validators=[Length(max=60)])
    starts_on = DateField(_l("First day"), validators=[
        DataRequired(message=_l("Please give the first and the last day (YYYY-MM-DD)."))])
    ends_on = DateField(_l("Last day"), validators=[
        DataRequired(message=_l("Please give the first and the last day (YYYY-MM-DD)."))])
    parks = CheckboxesField(_l("Parks (none: every park)"), choices=[], validate_choice=False)

    def zone_fields(self) -> ZoneFields:
        return ZoneFields(
            code=(self.code.data or "").strip(), name_zh=self.name_zh.data or "",
            name_en=self.name_en.data or "", message_zh=self.message_zh.data or "",
            message_en=self.message_en.data or "", category_zh=self.category_zh.data or "",
            category_en=self.category_en.data or "", starts_on=self.starts_on.data,
            ends_on=self.ends_on.data, park_codes=list(self.parks.data or []))


class ZoneRoleForm(Form):
    role = SelectField(_l("Answered by"), choices=[], validate_choice=True)
