"""Moving a case to whoever owns it (转办), and the record of what the unit sent away."""

from __future__ import annotations

from flask import url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.extensions import db
from app.models import Case, StaffUser
from app.services.cases.transfers import transfer_case
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
