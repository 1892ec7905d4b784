"""The base of the app's forms: Flask-WTF's, with WTForms' own messages loaded once.

Flask-WTF reads WTForms' translation catalog from disk on every request that builds a form
(about half a millisecond, twice per visitor submission); the catalogs never change while
the process runs, so each language's is loaded once.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from babel import support
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.i18n import messages_path
from wtforms.validators import Length, NumberRange

from app.ids import MAX_SMALL_ID
from app.services.cases.summaries import MAX_BODY


@lru_cache(maxsize=8)
def _wtforms_translations(locale: str) -> support.NullTranslations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Any) -> Any:
            return _wtforms_translations(str(get_locale()))


def message_length() -> Length:
    """The one limit on the length of a message (visitor's, reply, note, template)."""
    return Length(max=MAX_BODY, message=_l("Please keep the message under %(max)d characters."))


class IdField(IntegerField):
    """A form field carrying a row id: a number from 1 to `maximum` (a 32-bit id unless
    told, see app/ids.py), or the form is refused with a message; a larger number never
    reaches the database."""

    def __init__(self, label: Any = None, validators: Any = None, *,
                 maximum: int = MAX_SMALL_ID, **kwargs: Any) -> None:
        validators = [*(validators or []), NumberRange(min=1, max=maximum)]
        super().__init__(label, validators, **kwargs)
