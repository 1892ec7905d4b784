"""The CSV upload that the hotline and visits pages share: all or nothing, bad rows listed."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.services.bureau.csv_import import CsvImportError, RowError, decode_upload
from app.services.errors import DomainError

Page = Callable[[list[RowError], int], ResponseReturnValue]


def import_upload(run: Callable[[str], int], page: Page, done: Callable[[int], str],
                  endpoint: str) -> ResponseReturnValue:
    """Import the uploaded file with `run`; the page again (400) with the errors, or 303."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a CSV file to import."), "error")
        return page([], 400)
    try:
        count = run(decode_upload(upload.read()))
    except CsvImportError as error:
        flash(str(error), "error")
        return page(error.errors, 400)
    except DomainError as error:
        flash(str(error), "error")
        return page([], 400)
    flash(done(count), "success")
    return redirect(url_for(endpoint), code=303)
