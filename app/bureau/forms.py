"""Bureau forms: onboarding a new unit with its parks and first director; acknowledging a
warning."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.admin.forms import CREDENTIAL_CHOICES
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
