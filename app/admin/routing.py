"""Routing rules: a category, optionally only in a park or at a spot, goes to a role."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from app.admin.blueprint import bp
from app.admin.decorators import director_required
from app.admin.forms import ActionForm, RoutingRuleForm
from app.i18n import current_language
from app.models import StaffUser, Unit
from app.services.accounts.reach import routing_gaps
from app.services.accounts.settings import (
    create_routing_rule,
    delete_routing_rule,
    unit_routing_rules,
)
from app.services.cases.workflow import ROLE_LABELS
from app.services.errors import DomainError


def _rule_form(unit: Unit) -> RoutingRuleForm:
    locale = current_language()
    form = RoutingRuleForm()
    form.category_id.choices = [SelectChoice(c.id, f"{c.icon} {c.name(locale)}".strip())
                                for c in unit.categories]
    form.park_id.choices = [SelectChoice("", _("Every park"))] + [
        SelectChoice(p.id, p.name(locale)) for p in unit.parks]
    form.spot_id.choices = [SelectChoice("", _("Every spot"))] + [
        SelectChoice(spot.id, f"{park.name(locale)} · {spot.name(locale)}")
        for park in unit.parks for spot in park.spots]
    return form


def _page(unit: Unit, form: RoutingRuleForm, status: int = 200) -> ResponseReturnValue:
    return render_template("admin/routing.html", unit=unit, form=form,
                           rules=unit_routing_rules(unit.id), role_labels=ROLE_LABELS,
                           delete_form=ActionForm(), reach_gaps=routing_gaps(unit.id)), status


@bp.get("/routing")
@director_required
def routing(user: StaffUser, unit: Unit) -> ResponseReturnValue:
    return _page(unit, _rule_form(unit))


@bp.post("/routing")
@director_required
def add_routing_rule(user: StaffUser, unit: Unit) -> ResponseReturnValue:
    form = _rule_form(unit)
    if form.validate_on_submit():
        try:
            create_routing_rule(user=user, unit_id=unit.id,
                                category_id=form.category_id.data or 0,
                                park_id=form.park_id.data, spot_id=form.spot_id.data,
                                role=form.role.data or "")
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("Rule added."), "success")
            return redirect(url_for("admin.routing"), code=303)
    return _page(unit, form, 400)


@bp.post("/routing/<int:rule_id>/delete")
@director_required
def remove_routing_rule(user: StaffUser, unit: Unit, rule_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    delete_routing_rule(user=user, unit_id=unit.id, rule_id=rule_id)
    flash(_("Rule deleted."), "success")
    return redirect(url_for("admin.routing"), code=303)
