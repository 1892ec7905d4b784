"""Alert channels (/admin/channels): group robots and signed webhooks that get the unit's
new cases (and, if chosen, reopened and escalated ones), with each one's delivery log."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.admin.blueprint import bp
from app.admin.decorators import director_required
from app.admin.forms import CheckboxesField
from app.forms import Form
from app.models import StaffUser, Unit
from app.services.errors import DomainError
from app.services.notify.channels import (
    EVENTS,
    ChannelFields,
    add_channel,
    queue_test,
    recent_deliveries,
    remove_channel,
    unit_channels,
)

ALL_PARKS = ""
KIND_LABELS = {"wecom": _l("WeCom group robot (企业微信群机器人)"),
               "dingtalk": _l("DingTalk custom robot (钉钉自定义机器人)"),
               "feishu": _l("Feishu / Lark custom bot (飞书自定义机器人)"),
               "webhook": _l("Webhook (Standard Webhooks signature)")}
EVENT_LABELS = {"feedback.created": _l("New cases"),
                "feedback.urgent": _l("New urgent cases (without the others)"),
                "case.reopened": _l("Reopened cases"),
                "case.escalated": _l("Escalations"), "test": _l("Test message")}


class ChannelForm(Form):
    kind = SelectField(_l("Kind"),
                       choices=[SelectChoice(k, label) for k, label in KIND_LABELS.items()],
                        validators=[DataRequired()])
    url = StringField(_l("Webhook address"), validators=[DataRequired(), Length(max=500)])
    secret = StringField(_l("Signing secret"), validators=[Optional(), Length(max=200)])
    park_id = SelectField(_l("Park"), choices=[], validate_choice=True, default=ALL_PARKS)
    events = CheckboxesField(_l("Send"), choices=[SelectChoice(e, EVENT_LABELS[e]) for e in EVENTS],

                             validators=[Optional()])


def _form(unit: Unit, *, blank: bool = False) -> ChannelForm:
    form = ChannelForm(formdata=None) if blank else ChannelForm()
    form.park_id.choices = [SelectChoice(ALL_PARKS, str(_("Every park of the unit")))] + [
        SelectChoice(str(park.id), park.name_zh) for park in unit.parks]
    return form


def _page(unit: Unit, form: ChannelForm, status: int = 200) -> ResponseReturnValue:
    channels = unit_channels(unit.id)
    return render_template("admin/channels.html", unit=unit, form=form, channels=channels,
                           deliveries=recent_deliveries([c.id for c in channels]),
                           kinds=KIND_LABELS, event_labels=EVENT_LABELS), status


@bp.get("/channels")
@director_required
def channels(user: StaffUser, unit: Unit) -> ResponseReturnValue:
    return _page(unit, _form(unit, blank=True))


@bp.post("/channels")
@director_required
def add_alert_channel(user: StaffUser, unit: Unit) -> ResponseReturnValue:
    form = _form(unit)
    if not form.validate_on_submit():
        return _page(unit, form, status=400)
    try:
        add_channel(user=user, unit_id=unit.id, fields=ChannelFields(
            kind=form.kind.data or "", url=form.url.data or "", secret=form.secret.data or "",
            park_id=int(form.park_id.data) if form.park_id.data else None,
            events=tuple(form.events.data or ())))
    except DomainError as error:
        form.url.errors = [*form.url.errors, str(error)]
        return _page(unit, form, status=400)
    flash(_("Channel connected. Send a test message to check it."), "success")
    return redirect(url_for("admin.channels"), code=303)


@bp.post("/channels/<int:channel_id>/test")
@director_required
def test_alert_channel(user: StaffUser, unit: Unit, channel_id: int) -> ResponseReturnValue:
    if not Form().validate_on_submit():
        abort(400)
    queue_test(user=user, unit_id=unit.id, channel_id=channel_id)
    flash(_("Test message queued: it is sent within a few seconds; its result shows below."),
          "success")
    return redirect(url_for("admin.channels"), code=303)


@bp.post("/channels/<int:channel_id>/remove")
@director_required
def remove_alert_channel(user: StaffUser, unit: Unit, channel_id: int) -> ResponseReturnValue:
    if not Form().validate_on_submit():
        abort(400)
    remove_channel(user=user, unit_id=unit.id, channel_id=channel_id)
    flash(_("Channel removed."), "success")
    return redirect(url_for("admin.channels"), code=303)
