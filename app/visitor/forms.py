"""The visitor's feedback form (works without JavaScript)."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import HiddenField, MultipleFileField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.forms import Form, message_length

PHONE = re.compile(r"^\+?[0-9][0-9 \-]{5,19}$")
EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")


def _contact_is_phone_or_email(_form: Any, field: Any) -> None:
    value = (field.data or "").strip()
    if value and not (PHONE.match(value) or EMAIL.match(value)):
        raise ValidationError(_l("Enter a phone number or an e-mail address, or leave it empty."))


class ReportForm(Form):
    category = RadioField(
        _l("What is it about?"),
        validators=[DataRequired(message=_l("Please choose what the message is about."))],
        choices=[],
    )
    body = TextAreaField(
        _l("What is wrong? (a few words are enough)"),
        validators=[message_length()],
    )
    contact = StringField(
        _l("Phone or e-mail for the answer (optional)"),
        validators=[Optional(), Length(max=254), _contact_is_phone_or_email],
    )
    rating = RadioField(
        _l("How do you rate this spot? (optional)"),
        choices=[SelectChoice(str(n), str(n)) for n in range(1, 6)],
        validators=[Optional()],
        validate_choice=True,
    )
    photos = MultipleFileField(_l("Photos (optional, up to 3)"))
    # a voice note instead of (or beside) the words: recorded on the form, or an audio file
    voice = FileField(_l("Or speak instead (up to 60 seconds)"))
    # bot traps: a field people never see (left empty by them, filled by form-filling
    # bots) and the signed moment the form was served (see app.services.cases.abuse)
    website = StringField(_l("Leave this field empty"), validators=[Optional(), Length(max=200)])
    started = HiddenField(validators=[Optional(), Length(max=200)])

    def validate_body(self, field: Any) -> None:
        """Words, or a voice note: one of them is the message."""
        if not (field.data or "").strip() and not self.voice.data:
            raise ValidationError(_l("Please write a few words about the problem, "
                                     "or record a voice note."))
