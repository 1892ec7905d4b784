"""Staff take a case down themselves: a call to the office, a visitor at the counter, a patrol's
finding (POST /staff/cases/new, a public contract). The case enters the same workflow."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.i18n import current_language
from app.models import CaseChannel, Category, Park, Spot, StaffUser
from app.security import uploaded_files
from app.services.cases.operations import acting_unit_ids
from app.services.cases.photos import prepare_photos
from app.services.cases.submission import take_case_down
from app.services.cases.workflow import CHANNEL_LABELS
from app.services.errors import DomainError, ForbiddenError
from app.staff.blueprint import bp
from app.staff.decorators import staff_required
from app.staff.forms import NewCaseForm


def _page(user: StaffUser, form: NewCaseForm, status: int = 200,
          problem: str | None = None) -> ResponseReturnValue:
    unit_ids = acting_unit_ids(user)
    if not unit_ids:
        raise ForbiddenError(_("Your account may read cases but not change them."))
    spots = db.session.scalars(
        select(Spot).join(Park).where(Park.unit_id.in_(unit_ids), Spot.active)
        .order_by(Park.unit_id, Park.id, Spot.id)).all()
    categories: dict[str, Category] = {}
    for category in db.session.scalars(
            select(Category).where(Category.unit_id.in_(unit_ids), Category.active)
            .order_by(Category.unit_id, Category.sort_order, Category.id)):
        categories.setdefault(category.code, category)
    return render_template("staff/new_case.html", form=form, spots=spots,
                           categories=list(categories.values()),
                           channels=[(c.value, CHANNEL_LABELS[c.value]) for c in CaseChannel],
                           user=user, problem=problem), status


@bp.get("/cases/new")
@staff_required
def new_case(user: StaffUser) -> ResponseReturnValue:
    form = NewCaseForm(formdata=None, spot=request.args.get("spot", "")[:16],
                       channel=CaseChannel.PHONE.value)
    return _page(user, form)


@bp.post("/cases/new")
@staff_required
def create_case(user: StaffUser) -> ResponseReturnValue:
    form = NewCaseForm()
    if form.validate_on_submit():
        try:
            case = take_case_down(
                user=user, spot_code=form.spot.data or "", category_code=form.category.data or "",
                body=form.body.data or "", channel=form.channel.data or "",
                contact=form.contact.data, photos=prepare_photos(uploaded_files("photos")),
                language=current_language())
        except DomainError as error:  # a viewer's ForbiddenError and a NotFoundError pass on
            return _page(user, form, 400, problem=str(error))
        else:
            flash(_("Case %(reference)s taken down: it is in the inbox now.",
                    reference=case.reference), "success")
            return redirect(url_for("staff.case_detail", case_id=case.id), code=303)
    return _page(user, form, 400)
