"""Blocked clients: a director blocks the sender of a case for a period, and lifts blocks."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField
from wtforms.validators import DataRequired, NumberRange

from app.admin.blueprint import bp
from app.admin.decorators import director_required
from app.forms import Form
from app.models import StaffUser, Unit
from app.services.cases.abuse import MAX_BLOCK_DAYS, active_blocks, block_case_sender, lift_block
from app.services.errors import DomainError


class BlockForm(Form):
    days = IntegerField(_l("Block the sender of this case for (days)"), default=30,
                        validators=[DataRequired(), NumberRange(min=1, max=MAX_BLOCK_DAYS)])


class LiftForm(Form):
    pass


@bp.get("/blocks")
@director_required
def blocks(user: StaffUser, unit: Unit) -> ResponseReturnValue:
    return render_template("admin/blocks.html", unit=unit, blocks=active_blocks(unit),
                           form=LiftForm())


@bp.post("/cases/<int:case_id>/block")
@director_required
def block_sender(user: StaffUser, unit: Unit, case_id: int) -> ResponseReturnValue:
    form = BlockForm()
    if not form.validate_on_submit():
        flash(_("A block lasts from 1 to %(max)d days.", max=MAX_BLOCK_DAYS), "error")
        return redirect(url_for("staff.case_detail", case_id=case_id), code=303)
    try:
        block_case_sender(user=user, unit=unit, case_id=case_id, days=form.days.data or 0)
    except DomainError as error:
        flash(str(error), "error")
    else:
        flash(_("The sender is blocked: their messages to this unit are not stored."),
              "success")
    return redirect(url_for("staff.case_detail", case_id=case_id), code=303)


@bp.post("/blocks/<int:block_id>/lift")
@director_required
def lift(user: StaffUser, unit: Unit, block_id: int) -> ResponseReturnValue:
    if not LiftForm().validate_on_submit():
        abort(400)
    lift_block(user=user, unit=unit, block_id=block_id)
    flash(_("Block lifted."), "success")
    return redirect(url_for("admin.blocks"), code=303)
