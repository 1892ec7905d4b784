"""A spot's blank form page, rendered once and kept: every visitor who scans the code gets
the same page but for two hidden values of their own.

Rendering the form (the templates, WTForms' fields, some forty translations) was the largest
part of a scan after the submission itself (bench/README.md, "Where a visit's CPU goes").
A blank form depends only on what its key holds: the spot as the spot cache has it (a
change to the spot, its park, unit, categories or zones makes another one), the zones
heading the form today, the language, the text size and the path. Each key's page is
rendered once with two marks in the place of what is the visitor's own: the CSRF token
(tied to their session) and the signed moment the form was served (a bot trap). Each
request puts its own values in.

Only a visitor's blank form is kept. A form sent back (with errors or the visitor's words),
a staff member's (it offers to take a case down) and a page with a message to flash are
rendered for their request alone.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import current_app, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from app.display import text_size
from app.i18n import current_language
from app.models.types import utcnow
from app.services.cases.abuse import form_started_token
from app.services.spots.cache import FormSpot

MAX_PAGES = 1_000  # about 7 KB each
# new in every process: no text of a park (a spot's name, a zone's message) can hold them
CSRF_MARK = f"csrf-{secrets.token_hex(16)}"
STARTED_MARK = f"started-{secrets.token_hex(16)}"

PAGES_KEY = "parkmailbox.form_pages"
_lock = threading.Lock()


def may_keep() -> bool:
    """Whether this request's blank form is the one every visitor gets."""
    return not current_user.is_authenticated and not session.get("_flashes")


def blank_form_page(spot: FormSpot, render: Callable[[str, str], str]) -> str:
    """The spot's blank form page for this request. `render(csrf_token, started)` renders
    the page with those values in their hidden fields; it is called with the marks when
    the page is not kept yet."""
    key = (spot, spot.open_zones(utcnow()), current_language(), text_size(), request.path)
    # kept by the app: each app (each test's) renders with its own settings
    pages: OrderedDict[tuple[Hashable, ...], str] = current_app.extensions.setdefault(
        PAGES_KEY, OrderedDict())
    with _lock:
        page = pages.get(key)
        if page is not None:
            pages.move_to_end(key)
    if page is None:
        page = render(CSRF_MARK, STARTED_MARK)
        # each mark once, in its field: else the page is not kept (and gets its values anyway)
        if page.count(CSRF_MARK) == 1 and page.count(STARTED_MARK) == 1:
            with _lock:
                pages[key] = page
                while len(pages) > MAX_PAGES:
                    pages.popitem(last=False)
    return page.replace(CSRF_MARK, generate_csrf()).replace(STARTED_MARK, form_started_token())

