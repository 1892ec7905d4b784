"""12345 tickets in the inbox: take in the hotline platform's export, place the tickets
whose address names no spot, write each case's 回单 and export them for the platform."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import Park, Spot, StaffUser, Unit
from app.models.types import utcnow
from app.services.bureau.csv_import import CsvImportError, RowError
from app.services.bureau.exports import XLSX_TYPE, csv_text, table_xlsx
from app.services.cases.hotline import (
    REPLY_COLUMNS,
    day_window,
    hotline_cases,
    place_ticket,
    reply_rows,
    take_in_tickets,
    waiting_tickets,
)
from app.services.cases.hotline_mail import mail_rejections
from app.services.cases.operations import acting_unit_ids, answer_ticket, require_acting
from app.services.cases.submission import get_case_for_staff
from app.services.errors import DomainError, NotFoundError
from app.services.spots.spots import local_day
from app.staff.blueprint import bp
from app.staff.decorators import staff_required
from app.staff.forms import HotlineReplyForm
from app.staff.views import render_case

MAX_UPLOAD = 5 * 1024 * 1024


def _units(user: StaffUser) -> list[Unit]:
    return list(db.session.scalars(select(Unit).where(Unit.id.in_(user.unit_ids))
                                   .order_by(Unit.id)))


def _mail_unit(units: list[Unit]) -> Unit | None:
    """The unit of these whose tickets come by e-mail (HOTLINE_IMAP_*), if any."""
    if not current_app.config["HOTLINE_IMAP_HOST"]:
        return None
    return next((u for u in units if u.code == current_app.config["HOTLINE_IMAP_UNIT"]), None)


DEFAULT_ZONE = "Asia/Shanghai"


def _page(user: StaffUser, errors: list[RowError], status: int = 200) -> ResponseReturnValue:
    units = _units(user)
    spots = db.session.scalars(
        select(Spot).join(Park).where(Park.unit_id.in_(user.unit_ids), Spot.active)
        .order_by(Park.unit_id, Park.id, Spot.id)).all()
    today = local_day(units[0].timezone if units else DEFAULT_ZONE)
    return render_template(
        "staff/hotline.html", user=user, units=units, acting=acting_unit_ids(user),
        waiting=waiting_tickets(user.unit_ids), cases=hotline_cases(user.unit_ids),
        spots=spots, errors=errors, now=utcnow(), rejections=mail_rejections(user.unit_ids),
        mail_unit=_mail_unit(units), units_by_id={unit.id: unit for unit in units},
        export_from=(today.replace(day=1)).isoformat(), export_to=today.isoformat()), status


@bp.get("/hotline")
@staff_required
def hotline(user: StaffUser) -> ResponseReturnValue:
    return _page(user, [])


@bp.post("/hotline")
@staff_required
def hotline_upload(user: StaffUser) -> ResponseReturnValue:
    units = acting_unit_ids(user)
    unit_id = request.form.get("unit", type=int) or (units[0] if len(units) == 1 else None)
    if unit_id is None and not units:  # a viewer: refused by the one acting-role check
        require_acting(user, min(user.unit_ids, default=0))
    if unit_id is None:
        flash(_("Choose the unit the tickets are for."), "error")
        return _page(user, [], 400)
    if unit_id not in user.unit_ids:
        raise NotFoundError(_("No such unit."))
    require_acting(user, unit_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose the hotline's export (CSV or XLSX) to take in."), "error")
        return _page(user, [], 400)
    data = upload.read(MAX_UPLOAD + 1)
    try:
        if len(data) > MAX_UPLOAD:
            raise DomainError(_("The file is larger than 5 MB; split it."))
        intake = take_in_tickets(data, user=user, unit_id=unit_id)
    except CsvImportError as error:
        flash(str(error), "error")
        return _page(user, error.errors, 400)
    except DomainError as error:
        flash(str(error), "error")
        return _page(user, [], 400)
    flash(_("%(cases)d tickets are cases now, %(waiting)d wait for a place, %(known)d were "
            "taken in before.", cases=intake.cases, waiting=intake.waiting, known=intake.known),
          "success")
    return redirect(url_for("staff.hotline"), code=303)


@bp.post("/hotline/<int:ticket_pk>/place")
@staff_required
def place_hotline_ticket(user: StaffUser, ticket_pk: int) -> ResponseReturnValue:
    try:
        case_id = place_ticket(user=user, ticket_pk=ticket_pk,
                               spot_code=request.form.get("spot", "")[:16])
    except DomainError as error:
        flash(str(error), "error")
        return _page(user, [], 400)
    flash(_("The ticket is a case now."), "success")
    return redirect(url_for("staff.case_detail", case_id=case_id), code=303)


@bp.post("/cases/<int:case_id>/hotline-reply")
@staff_required
def hotline_reply(user: StaffUser, case_id: int) -> ResponseReturnValue:
    case = get_case_for_staff(user, case_id)
    require_acting(user, case.unit_id)  # a viewer is refused before the form is read
    form = HotlineReplyForm()
    if form.validate_on_submit():
        try:
            answer_ticket(user=user, case_id=case.id, contact=form.contact_made.data or "",
                          result=form.result.data or "", body=form.body.data or "",
                          resolve=bool(form.resolve.data))
        except DomainError as error:
            flash(str(error), "error")
        else:
            flash(_("The 回单 is saved; it is in the next export for the hotline."), "success")
            return redirect(url_for("staff.case_detail", case_id=case.id) + "#hotline", code=303)
    return render_case(user, case, 400, hotline_form=form)


def _window(zone: str) -> tuple[date, date]:
    today = local_day(zone)
    try:
        first = date.fromisoformat(request.args.get("from", "") or today.replace(day=1)
                                   .isoformat())
        last = date.fromisoformat(request.args.get("to", "") or today.isoformat())
    except ValueError:
        raise DomainError(_("Dates are YYYY-MM-DD.")) from None
    if last - first > timedelta(days=366):
        raise DomainError(_("Export at most a year at a time."))
    return first, last


def _replies(user: StaffUser) -> tuple[list[list[object]], str]:
    units = _units(user)
    zone = units[0].timezone if units else DEFAULT_ZONE
    first, last = _window(zone)
    start, end = day_window(first, last, zone)
    name = f"12345-replies-{first.isoformat()}-{last.isoformat()}"
    return list(reply_rows(user.unit_ids, start, end, zone)), name


@bp.get("/hotline/replies.<any(csv, xlsx):file_format>")
@staff_required
def hotline_replies(user: StaffUser, file_format: str) -> ResponseReturnValue:
    """The 回单 of a window, in the hotline platform's columns, as CSV or XLSX."""
    try:
        rows, name = _replies(user)
    except DomainError as error:
        return Response(str(error), status=400, mimetype="text/plain")
    headers = {"Content-Disposition": f'attachment; filename="{name}.{file_format}"'}
    if file_format == "xlsx":
        return Response(table_xlsx("回单", REPLY_COLUMNS, rows), mimetype=XLSX_TYPE,
                        headers=headers)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(REPLY_COLUMNS)
    for row in rows:
        writer.writerow([csv_text(value) for value in row])
    # the BOM tells Excel (and the hotline platform's importer) the file is UTF-8
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv; charset=utf-8",
                    headers=headers)
