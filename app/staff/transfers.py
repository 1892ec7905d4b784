"""Moving a case to whoever owns it (转办), and the record of what the unit sent away."""

from __future__ import annotations

from flask import render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.extensions import db
from app.i18n import current_language
from app.models import Case, StaffUser
from app.services.cases.transfers import destination_name, sent_away, transfer_case
from app.staff.actions import _perform
from app.staff.blueprint import bp
from app.staff.decorators import staff_required
from app.staff.forms import TransferForm


@bp.post("/cases/<int:case_id>/transfer")
@staff_required
def transfer(user: StaffUser, case_id: int) -> ResponseReturnValue:
    form = TransferForm()

    def after() -> str:
        case = db.session.get(Case, case_id)
        if case is not None and case.unit_id in user.unit_ids:
            return url_for("staff.case_detail", case_id=case_id)
        return url_for("staff.inbox")  # it left the unit: its record stays, not the case

    return _perform(user, case_id, form,
                    lambda: transfer_case(user=user, case_id=case_id,
                                          note=form.note.data or "",
                                          park_code=form.park.data or "",
                                          office_id=form.office.data or ""),
                    _("The case is transferred; the visitor sees your note."), after)


@bp.get("/transfers")
@staff_required
def transfers(user: StaffUser) -> ResponseReturnValue:
    """The unit's read-only record of the cases it sent to another unit or an office."""
    locale = current_language()
    records = sent_away(user)
    return render_template("staff/transfers.html", user=user, records=records,
                           names={r.id: destination_name(r, locale) for r in records})
