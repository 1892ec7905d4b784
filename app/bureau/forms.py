"""Bureau forms: onboarding a new unit with its parks and first director; acknowledging a
warning; adopting a monthly topic and recording a measure taken about it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    EmailField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.admin.forms import CREDENTIAL_CHOICES, CheckboxesField
from app.forms import Form


class UnitOnboardForm(Form):
    name_zh = StringField(_l("Unit name (Chinese)"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Unit name (English)"), validators=[Length(max=120)])
    code = StringField(_l("Unit code"), validators=[DataRequired(), Length(min=2, max=8)],
                       render_kw={"autocapitalize": "characters", "spellcheck": "false"})
    parks = TextAreaField(_l("Parks"), validators=[DataRequired(), Length(max=6000)],
                          render_kw={"rows": 4})
    director_name = StringField(_l("Director's name"),
                                validators=[DataRequired(), Length(max=120)])
    director_email = EmailField(_l("Director's e-mail"),
                                validators=[DataRequired(), Length(max=254)])
    credential = RadioField(_l("How they get in"), choices=CREDENTIAL_CHOICES,
                            default="password")


class AcknowledgeForm(Form):
    note = TextAreaField(_l("What is being done about it"),
                         validators=[DataRequired(message=_l("Please write what is being done "
                                                             "about it.")),
                                     Length(max=500)],
                         render_kw={"rows": 2, "maxlength": 500})


class AdoptTopicForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=120)])
    month = StringField(_l("Month"), validators=[
        DataRequired(), Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", message=_l("A month as YYYY-MM."))],
        render_kw={"type": "month"})
    keywords = StringField(_l("Keywords"), validators=[Length(max=200)])
    category = SelectField(_l("Category"), choices=[], validate_choice=True,
                           validators=[Optional()])
    units = CheckboxesField(_l("Assigned units"), choices=[], coerce=int,
                            validators=[DataRequired(message=_l("Please assign at least one "
                                                                "unit."))])
    note = TextAreaField(_l("Why this topic, what is expected"), validators=[Length(max=1000)],
                         render_kw={"rows": 3})


class MeasureForm(Form):
    body = TextAreaField(_l("What was done"),
                         validators=[DataRequired(message=_l("Please describe the measure.")),
                                     Length(max=2000)],
                         render_kw={"rows": 3})
    taken_on = DateField(_l("On"), validators=[DataRequired(message=_l("A date, please."))])
    photos = MultipleFileField(_l("Photos (up to 3)"),
                               render_kw={"accept": "image/jpeg,image/png,image/webp"})
