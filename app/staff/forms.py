"""Staff forms: login and replies."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, MultipleFileField, PasswordField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.services.feedback import MAX_BODY


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class ReplyForm(FlaskForm):
    body = TextAreaField(
        _l("Reply to the visitor"),
        validators=[
            DataRequired(message=_l("Please write the reply.")),
            Length(max=MAX_BODY, message=_l("Please keep the message under %(max)d characters.")),
        ],
    )
    # optional: a client that leaves it out keeps the status (a new case is acknowledged)
    status = SelectField(_l("Status after the reply"), choices=[], validate_choice=True,
                         validators=[Optional()])


class PhotoForm(FlaskForm):
    photos = MultipleFileField(_l("Add photos (up to 3 per case)"))
