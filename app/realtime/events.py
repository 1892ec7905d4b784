"""Socket.IO handlers for the staff namespace: authenticate, join rooms, catch up."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, emit, join_room
from sqlalchemy import and_, func, or_, select

from app.extensions import db, socketio
from app.ids import MAX_ID
from app.models import BUREAU_ROLES, Event, Park, StaffUser
from app.realtime import BUREAU_KINDS, BUREAU_ROOM, NAMESPACE, park_room, session_room, unit_room
from app.security import session_expired

log = logging.getLogger(__name__)


def visible_park_ids(user: StaffUser) -> list[int]:
    unit_ids = user.unit_ids
    if not unit_ids:
        return []
    return list(db.session.scalars(select(Park.id).where(Park.unit_id.in_(unit_ids))))


def _since(auth: Any) -> int | None:
    if not isinstance(auth, dict) or "since" not in auth:
        return None
    try:
        since = int(auth["since"])
    except (TypeError, ValueError, OverflowError):  # int(float("inf")) is an OverflowError
        return None
    return since if since >= 0 else None


def visible_events(user: StaffUser, park_ids: list[int]) -> Any:
    """The condition on events the user may see: their parks, unit-wide events, and for
    bureau users the city-wide kinds (early warnings)."""
    visible = [Event.park_id.in_(park_ids),
               and_(Event.park_id.is_(None), Event.unit_id.in_(user.unit_ids))]
    if user.bureau_role in BUREAU_ROLES:
        visible.append(Event.kind.in_(BUREAU_KINDS))
    return or_(*visible)


def missed_events_query(user: StaffUser, park_ids: list[int], since: int) -> Any:
    """Events after `since` that the user may see."""
    return select(Event).where(Event.id > since, visible_events(user, park_ids))


def latest_visible_event_id(user: StaffUser, park_ids: list[int] | None = None) -> int:
    """The newest event the user may see (0: none): a page read after this replays from here
    when it goes live. Never the newest of all events: its time would tell other units' work.
    """
    if park_ids is None:
        park_ids = visible_park_ids(user)
    return db.session.scalar(select(func.max(Event.id)).where(
        visible_events(user, park_ids))) or 0


def send_catch_up(user: StaffUser, park_ids: list[int], since: int) -> None:
    """Replay what the client missed, in order; past the limit, ask it to reload.

    A `since` past every event there is (from another server's log, or made up) cannot be
    caught up from: like too much missed, the client reloads and starts afresh.
    """
    latest = latest_visible_event_id(user, park_ids)
    if since > MAX_ID or since > (db.session.scalar(select(func.max(Event.id))) or 0):
        emit("sync.reload", {"missed": None, "latest_event_id": latest})
        return
    query = missed_events_query(user, park_ids, since)
    limit = current_app.config["CATCHUP_LIMIT"]
    missed = db.session.scalar(select(func.count()).select_from(query.subquery()))
    if missed and missed > limit:
        emit("sync.reload", {"missed": missed, "latest_event_id": latest})
        return
    for event in db.session.scalars(query.order_by(Event.id)):
        emit(event.kind, event.message())
        latest = max(latest, event.id)
    emit("sync.done", {"latest_event_id": latest, "replayed": missed or 0})


def register_socket_handlers() -> None:
    """Put the staff namespace's handlers on the extension's list, once per process.

    Call before `socketio.init_app`: each new server takes its handlers from that list
    (a handler added while a server exists would go to that old server only).
    """
    if not any(namespace == NAMESPACE for _event, _handler, namespace in socketio.handlers):
        socketio.on("connect", namespace=NAMESPACE)(staff_connect)


def staff_connect(auth: Any = None) -> None:
    if not current_user.is_authenticated or session_expired():
        raise ConnectionRefusedError("login required")
    user: StaffUser = current_user._get_current_object()
    if user.password_change_required:
        raise ConnectionRefusedError("choose your own password first")
    park_ids = visible_park_ids(user)
    is_bureau = user.bureau_role in BUREAU_ROLES
    if not park_ids and not user.unit_ids and not is_bureau:
        raise ConnectionRefusedError("no park to watch")
    # join first, then replay: an event committed meanwhile may arrive twice (clients
    # drop ids they have seen) but never not at all
    for park_id in park_ids:
        join_room(park_room(park_id))
    for unit_id in user.unit_ids:
        join_room(unit_room(unit_id))
    join_room(session_room(user.id, user.session_nonce))  # closed when the session ends
    if is_bureau:
        join_room(BUREAU_ROOM)
    since = _since(auth)
    if since is not None:
        send_catch_up(user, park_ids, since)
    log.info("staff socket for user %s: %d parks, bureau=%s, since=%s", user.id, len(park_ids),
             is_bureau, since)
