"""Web Push on a staff phone: the VAPID key, this phone's subscription, the alerts page
(/staff/alerts) and the service worker (/staff/sw.js)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask.wrappers import Response
from flask_babel import gettext as _

from app.extensions import csrf
from app.models import StaffUser
from app.services.accounts.reach import ReachSettings, update_own_reach
from app.services.cases.operations import can_act_anywhere
from app.services.errors import ConflictError, DomainError, ForbiddenError
from app.services.notify.push import (
    parse_subscription,
    phone_label,
    public_key,
    queue_test,
    remove_subscription,
    renew_subscription,
    subscribe,
    unsubscribe,
    user_subscriptions,
)
from app.staff.blueprint import bp
from app.staff.decorators import staff_required
from app.staff.forms import ReachForm

SERVICE_WORKER = Path(__file__).resolve().parent.parent / "static" / "js" / "sw.js"


def _bad(error: DomainError | str) -> ResponseReturnValue:
    return jsonify({"error": str(error)}), 400


def _body() -> Any:
    return request.get_json(silent=True)


@bp.get("/push/key")
@staff_required
def push_key(_user: StaffUser) -> ResponseReturnValue:
    return jsonify({"publicKey": public_key()})


@bp.post("/push/subscriptions")
@staff_required
def push_subscribe(user: StaffUser) -> ResponseReturnValue:
    try:
        fields = parse_subscription(_body())
        subscribed = subscribe(user=user, fields=fields,
                               user_agent=request.headers.get("User-Agent", ""))
    except DomainError as error:
        return _bad(error)
    # the renewal token is for this phone's service worker (pushsubscriptionchange)
    return jsonify({"endpoint": fields.endpoint, "renewToken": subscribed.renew_token}), \
        201 if subscribed.created else 200


@bp.post("/push/subscriptions/renew")
@csrf.exempt  # the service worker has no page, session or CSRF token: the renewal token,
# a secret only that phone holds (sent in the body, never by a browser on its own), is the key
def push_renew() -> ResponseReturnValue:
    """The browser rotated this phone's subscription: its service worker sends the old
    endpoint, its renewal token and the new subscription, which replaces the old one."""
    body = _body()
    if not isinstance(body, dict):
        return _bad("send oldEndpoint, renewToken and subscription as JSON")
    try:
        renewed = renew_subscription(old_endpoint=body.get("oldEndpoint"),
                                     renew_token=body.get("renewToken"),
                                     subscription=body.get("subscription"))
    except ForbiddenError as error:
        return jsonify({"error": str(error)}), 403
    except ConflictError as error:
        return jsonify({"error": str(error)}), 409
    except DomainError as error:
        return _bad(error)
    return jsonify({"endpoint": renewed.subscription.endpoint,
                    "renewToken": renewed.renew_token})


@bp.delete("/push/subscriptions")
@staff_required
def push_unsubscribe(user: StaffUser) -> ResponseReturnValue:
    body = _body()
    endpoint = body.get("endpoint") if isinstance(body, dict) else None
    if not isinstance(endpoint, str) or not endpoint:
        return _bad("endpoint missing")
    unsubscribe(user=user, endpoint=endpoint)
    return "", 204


def _alerts_page(user: StaffUser, form: ReachForm, status: int = 200) -> ResponseReturnValue:
    phones = user_subscriptions(user.id)
    unit = min(user.memberships, key=lambda m: m.unit_id).unit
    return render_template("staff/alerts.html", user=user, phones=phones, unit=unit,
                           phone_label=phone_label, reach_form=form,
                           can_set_reach=can_act_anywhere(user),
                           endpoints_json=json.dumps([p.endpoint for p in phones])), status


@bp.get("/alerts")
@staff_required
def alerts(user: StaffUser) -> ResponseReturnValue:
    """This person's phones with Web Push, the buttons to add this one and test, and how
    alerts reach them (mobile, SMS, quiet hours, on call)."""
    form = ReachForm(data={"mobile": user.mobile or "", "alert_push": user.alert_push,
                           "alert_sms": user.alert_sms, "quiet_start": user.quiet_start or "",
                           "quiet_end": user.quiet_end or "", "on_call": user.on_call})
    return _alerts_page(user, form)


@bp.post("/alerts/reach")
@staff_required
def alerts_reach(user: StaffUser) -> ResponseReturnValue:
    form = ReachForm()
    if form.validate_on_submit():
        try:
            update_own_reach(user=user, settings=ReachSettings(
                mobile=form.mobile.data or "", alert_push=bool(form.alert_push.data),
                alert_sms=bool(form.alert_sms.data), quiet_start=form.quiet_start.data or "",
                quiet_end=form.quiet_end.data or "", on_call=bool(form.on_call.data)))
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("Saved: this is how alerts reach you now."), "success")
            return redirect(url_for("staff.alerts", _anchor="reach"), code=303)
    return _alerts_page(user, form, 400)


@bp.post("/push/test")
@staff_required
def push_test(user: StaffUser) -> ResponseReturnValue:
    count = queue_test(user=user)
    if count:
        flash(_("A test alert is on its way to your %(n)d phone(s): it arrives within seconds.",
                n=count), "success")
    else:
        flash(_("No phone has alerts on yet: tap \"Alert me on this phone\" first."), "error")
    return redirect(url_for("staff.alerts"), code=303)


@bp.post("/push/subscriptions/<int:subscription_id>/remove")
@staff_required
def push_remove(user: StaffUser, subscription_id: int) -> ResponseReturnValue:
    remove_subscription(user=user, subscription_id=subscription_id)
    flash(_("That phone gets no more alerts."), "success")
    return redirect(url_for("staff.alerts"), code=303)


@bp.get("/sw.js")
def service_worker() -> ResponseReturnValue:
    """The service worker that shows pushes as notifications, for the whole of /staff/."""
    # read whole (a few KB), so that it is compressed like the static scripts
    response = Response(SERVICE_WORKER.read_bytes(), mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = url_for("staff.inbox")
    response.headers["Cache-Control"] = "no-cache"  # browsers check it for updates
    return response
