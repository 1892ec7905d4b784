"""Categories: names, icon, who answers, urgency, order, time limits."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.admin.blueprint import bp
from app.admin.decorators import director_required
from app.admin.forms import CategoryForm
from app.models import Category, StaffUser, Unit
from app.services.accounts.reach import routing_gaps
from app.services.accounts.settings import CategoryFields, get_category, save_category
from app.services.cases.workflow import ROLE_LABELS
from app.services.errors import DomainError


@bp.get("/categories")
@director_required
def categories(user: StaffUser, unit: Unit) -> ResponseReturnValue:
    return render_template("admin/categories.html", unit=unit, categories=unit.categories,
                           role_labels=ROLE_LABELS, reach_gaps=routing_gaps(unit.id))


def _fields(form: CategoryForm) -> CategoryFields:
    return CategoryFields(
        code=form.code.data or "", name_zh=form.name_zh.data or "",
        name_en=form.name_en.data or "", icon=form.icon.data or "",
        role=form.role.data or "", urgent=bool(form.urgent.data),
        sort_order=form.sort_order.data or 0, active=bool(form.active.data),
        claim_minutes=form.claim_minutes.data or 0,
        first_reply_hours=form.first_reply_hours.data or 0,
        resolve_days=form.resolve_days.data or 0)


def _edit(user: StaffUser, unit: Unit, category: Category | None) -> ResponseReturnValue:
    form = CategoryForm(obj=category)
    if form.validate_on_submit():
        try:
            save_category(user=user, unit_id=unit.id,
                          category_id=category.id if category else None, fields=_fields(form))
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("Category saved."), "success")
            return redirect(url_for("admin.categories"), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template("admin/category_form.html", unit=unit, form=form,
                           category=category), status


@bp.route("/categories/new", methods=["GET", "POST"])
@director_required
def new_category(user: StaffUser, unit: Unit) -> ResponseReturnValue:
    return _edit(user, unit, None)


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
@director_required
def edit_category(user: StaffUser, unit: Unit, category_id: int) -> ResponseReturnValue:
    category = get_category(unit.id, category_id)
    return _edit(user, unit, category)
