"""The monthly topic (每月一题): the problems that recur in the month's cases across parks,
the topics the bureau adopts, and the measures the assigned units record."""

from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from app.bureau.blueprint import bp
from app.bureau.decorators import Scope, bureau_admin_required, bureau_required
from app.bureau.forms import AdoptTopicForm, MeasureForm
from app.bureau.views import requested_period, today
from app.models import AdoptedTopic
from app.models.types import utcnow
from app.security import send_photo, uploaded_files
from app.services.accounts.onboarding import all_units
from app.services.bureau.adoption import (
    MATCHING_REPORTS,
    adopt_topic,
    before_and_after,
    category_codes,
    may_record_measure,
    measure_photo_for,
    measure_unit,
    monthly_reports,
    record_measure,
    topic_for,
    topic_parks,
    visible_measures,
    visible_topics,
)
from app.services.bureau.topics import MIN_CASES, month_topics
from app.services.cases.photos import photo_path, prepare_photos
from app.services.errors import DomainError


@bp.get("/topics")
@bureau_required
def topics(scope: Scope) -> ResponseReturnValue:
    start, _end, _month = requested_period()
    month = start.replace(day=1)
    return render_template("bureau/topics.html", scope=scope,
                           result=month_topics(scope.parks, month),
                           month=month.strftime("%Y-%m"), min_cases=MIN_CASES,
                           adopted=visible_topics(scope.user),
                           categories={code: (zh, en) for code, zh, en in category_codes()})


def _adopt_form() -> AdoptTopicForm:
    form = AdoptTopicForm()
    english = str(get_locale() or "").startswith("en")
    form.category.choices = [SelectChoice("", _("Any category")), *(
        SelectChoice(code, en if english and en else zh) for code, zh, en in category_codes())]
    form.units.choices = [SelectChoice(unit.id, unit.name_en if english and unit.name_en
                                       else unit.name_zh) for unit in all_units()]
    return form


@bp.route("/topics/adopt", methods=["GET", "POST"])
@bureau_admin_required
def adopt(scope: Scope) -> ResponseReturnValue:
    """Adopt a topic: from a suggestion (its keywords arrive in the URL) or from scratch."""
    form = _adopt_form()
    if not form.is_submitted():
        form.title.data = request.args.get("title", "")[:120]
        form.keywords.data = request.args.get("keywords", "")[:200]
        form.month.data = request.args.get("month", today().strftime("%Y-%m"))[:7]
        if request.args.get("category") in {code for code, _zh, _en in category_codes()}:
            form.category.data = request.args["category"]
    elif form.validate():
        try:
            topic = adopt_topic(
                user=scope.user,
                month=datetime.strptime(form.month.data or "", "%Y-%m").date(),  # noqa: DTZ007 - a calendar month
                title=form.title.data or "", keywords=form.keywords.data or "",
                category_code=form.category.data or None, unit_ids=form.units.data or [],
                note=form.note.data or "", now=utcnow())
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("Topic adopted; the assigned units see it now."), "success")
            return redirect(url_for("bureau.adopted_topic", topic_id=topic.id), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template("bureau/topic_adopt.html", scope=scope, form=form), status


@bp.get("/topics/adopted/<int:topic_id>")
@bureau_required
def adopted_topic(scope: Scope, topic_id: int) -> ResponseReturnValue:
    return _topic_page(scope, topic_for(scope.user, topic_id))


def _topic_page(scope: Scope, topic: AdoptedTopic, form: MeasureForm | None = None,
                status: int = 200) -> ResponseReturnValue:
    if form is None:
        form = MeasureForm(formdata=None)
        form.taken_on.data = today()
    names = {code: (zh, en) for code, zh, en in category_codes()}
    months = monthly_reports(topic, scope.parks, today())
    return render_template(
        "bureau/topic.html", scope=scope, topic=topic, form=form, months=months,
        summary=before_and_after(months),
        parks=topic_parks(topic, scope.parks), definition=MATCHING_REPORTS,
        measures=visible_measures(scope.user, topic), category=names.get(
            topic.category_code or ""), may_record=may_record_measure(scope.user, topic)), status


@bp.post("/topics/adopted/<int:topic_id>/measures")
@bureau_required
def add_measure(scope: Scope, topic_id: int) -> ResponseReturnValue:
    """A unit records a measure; the role is checked before the form (viewers: 403)."""
    topic = topic_for(scope.user, topic_id)
    measure_unit(scope.user, topic)
    form = MeasureForm()
    if form.validate_on_submit():
        try:
            record_measure(user=scope.user, topic_id=topic.id, body=form.body.data or "",
                           taken_on=form.taken_on.data or today(),
                           photos=prepare_photos(uploaded_files("photos")), now=utcnow())
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("Measure recorded."), "success")
            return redirect(url_for("bureau.adopted_topic", topic_id=topic.id,
                                    _anchor="measures"), code=303)
    return _topic_page(scope, topic_for(scope.user, topic_id), form, 400)


@bp.get("/topics/adopted/<int:topic_id>/photos/<int:measure_photo_id>")
@bureau_required
def measure_photo(scope: Scope, topic_id: int, measure_photo_id: int) -> ResponseReturnValue:
    photo = measure_photo_for(scope.user, topic_for(scope.user, topic_id), measure_photo_id)
    return send_photo(photo_path(photo), photo.id)
