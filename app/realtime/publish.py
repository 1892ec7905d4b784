"""Emit-after-commit: events are written with the change and sent only once it is durable."""

from __future__ import annotations

import logging
import time
from functools import cache
from typing import Any

from sqlalchemy import Select, func, select, text
from sqlalchemy.orm import Session

from app.extensions import db, socketio
from app.models import Event
from app.realtime import BUREAU_KINDS, BUREAU_ROOM, NAMESPACE, park_room, unit_room
from app.realtime.queue import SESSION_ENDED, EventQueue, disconnect_room

log = logging.getLogger(__name__)

PENDING_KEY = "park_mailbox_pending_events"
# Any constant works; it only has to be the same in every process of the deployment.
EVENT_ORDER_LOCK = 727_001


def record_event(
    kind: str,
    *,
    unit_id: int,
    park_id: int | None,
    case_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> Event:
    """Add an Event to the current transaction; it is emitted after the commit."""
    session = db.session()
    lock_event_order(session)
    event = Event(id=next_event_id(session), kind=kind, unit_id=unit_id, park_id=park_id,
                  case_id=case_id, payload=payload or {})
    session.add(event)
    session.flush()
    room = park_room(park_id) if park_id is not None else unit_room(unit_id)
    rooms = [room, BUREAU_ROOM] if kind in BUREAU_KINDS else room
    # the message is built now: after commit the object is expired and may not be loaded
    session.info.setdefault(PENDING_KEY, []).append((kind, event.message(), rooms))
    return event


def lock_event_order(session: Session) -> None:
    """Take the event writers' lock for the rest of the transaction (PostgreSQL).

    Sequence values are handed out at insert but become visible at commit, so two
    concurrent transactions could commit ids 11 then 10 and a client that saw 11 would
    never catch up 10. Serialising event writers makes id order commit order. (SQLite
    writers are serialised already by BEGIN IMMEDIATE.)"""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENT_ORDER_LOCK})


@cache  # built once: every change runs it (app/database.py, "Statements built once")
def _newest_event_statement() -> Select[int | None]:
    return select(func.max(Event.id))


def next_event_id(session: Session) -> int:
    """The id of a new event: the time in microseconds (one more than the newest event's when
    the clock is behind it). Call under the writers' lock (see record_event).

    Ids increase in commit order, one cursor for every client (`auth={"since": ...}`), and
    the step from one of a unit's events to its next says how much time passed, which the
    event's `at` says anyway, never how many events other units had in between (a counter
    shared by all units would). Below 2**53 until the year 2255: exact in JavaScript.
    """
    # the event is flushed as soon as it has its id: reading the newest need not flush first
    # (every earlier event was flushed when it was recorded), and a number needs no ORM: read
    # on the session's connection (app/database.py)
    newest = session.connection().scalar(_newest_event_statement()) or 0
    return max(time.time_ns() // 1000, newest + 1)


def emit_event(kind: str, message: dict[str, Any], room: str | list[str]) -> None:
    """Send one event to a room (or rooms: each connection once); a failure is logged only."""
    try:
        socketio.emit(kind, message, to=room, namespace=NAMESPACE)
    except Exception:
        log.exception("could not emit %s event %s; clients will catch up from the log",
                      kind, message.get("event_id"))


def end_sessions_after_commit(room: str) -> None:
    """Once the current transaction commits: the open pages of the sessions in `room` are
    told they are logged out, and their sockets close, in every process."""
    db.session().info.setdefault(PENDING_KEY, []).append((SESSION_ENDED, {}, room))


def emit_after_commit(session: Session) -> None:
    for kind, message, room in session.info.pop(PENDING_KEY, []):
        emit_event(kind, message, room)
        manager = socketio.server.manager if socketio.server else None
        if kind == SESSION_ENDED and manager is not None and not isinstance(manager, EventQueue):
            # one process, no queue: close here (with a queue, every process closes its own
            # when the message comes back to it: EventQueue._handle_emit)
            disconnect_room(manager, str(room))


def drop_after_rollback(session: Session, previous_transaction: Any) -> None:
    # events of a rolled-back transaction never happened
    if previous_transaction.parent is None:
        session.info.pop(PENDING_KEY, None)
