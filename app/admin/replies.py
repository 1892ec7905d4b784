"""Reply templates: ready answers per unit, optionally per category, with placeholders."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from app.admin.blueprint import bp
from app.admin.decorators import director_required
from app.admin.forms import ActionForm, ReplyTemplateForm
from app.i18n import current_language
from app.models import ReplyTemplate, StaffUser, Unit
from app.services.accounts.settings import (
    delete_reply_template,
    get_reply_template,
    save_reply_template,
    unit_reply_templates,
)
from app.services.cases.reply_templates import PLACEHOLDERS
from app.services.errors import DomainError


@bp.get("/replies")
@director_required
def reply_templates(user: StaffUser, unit: Unit) -> ResponseReturnValue:
    return render_template("admin/replies.html", unit=unit,
                           templates=unit_reply_templates(unit.id))


def _edit(user: StaffUser, unit: Unit, template: ReplyTemplate | None) -> ResponseReturnValue:
    form = ReplyTemplateForm(obj=template)
    locale = current_language()
    form.category_id.choices = [SelectChoice("", _("Every category"))] + [
        SelectChoice(c.id, f"{c.icon} {c.name(locale)}".strip()) for c in unit.categories]
    if form.validate_on_submit():
        try:
            save_reply_template(user=user, unit_id=unit.id,
                                template_id=template.id if template else None,
                                title=form.title.data or "", body=form.body.data or "",
                                category_id=form.category_id.data,
                                active=bool(form.active.data))
        except DomainError as error:
            form.body.errors = [*form.body.errors, str(error)]
        else:
            flash(_("Reply template saved."), "success")
            return redirect(url_for("admin.reply_templates"), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template("admin/reply_form.html", unit=unit, form=form, template=template,
                           placeholders=PLACEHOLDERS, delete_form=ActionForm()), status


@bp.route("/replies/new", methods=["GET", "POST"])
@director_required
def new_reply_template(user: StaffUser, unit: Unit) -> ResponseReturnValue:
    return _edit(user, unit, None)


@bp.route("/replies/<int:template_id>", methods=["GET", "POST"])
@director_required
def edit_reply_template(user: StaffUser, unit: Unit, template_id: int) -> ResponseReturnValue:
    template = get_reply_template(unit.id, template_id)
    return _edit(user, unit, template)


@bp.post("/replies/<int:template_id>/delete")
@director_required
def remove_reply_template(user: StaffUser, unit: Unit, template_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    delete_reply_template(user=user, unit_id=unit.id, template_id=template_id)
    flash(_("Reply template deleted."), "success")
    return redirect(url_for("admin.reply_templates"), code=303)
