"""Web Push on a staff phone: the VAPID key, this phone's subscription, the alerts page
(/staff/alerts) and the service worker (/staff/sw.js)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from app.models import StaffUser
from app.services.errors import DomainError
from app.services.notify.push import parse_subscription, public_key, subscribe, unsubscribe
from app.staff.blueprint import bp
from app.staff.decorators import staff_required


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
        _subscription, created = subscribe(user=user, fields=fields,
                                           user_agent=request.headers.get("User-Agent", ""))
    except DomainError as error:
        return _bad(error)
    return jsonify({"endpoint": fields.endpoint}), 201 if created else 200


@bp.delete("/push/subscriptions")
@staff_required
def push_unsubscribe(user: StaffUser) -> ResponseReturnValue:
    body = _body()
    endpoint = body.get("endpoint") if isinstance(body, dict) else None
    if not isinstance(endpoint, str) or not endpoint:
        return _bad("endpoint missing")
    unsubscribe(user=user, endpoint=endpoint)
    return "", 204
