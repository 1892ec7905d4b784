"""Staff alerts leave right after the commit that queued them, not at the next job round.

Pushes (`PushDelivery`), robot and webhook alerts (`AlertDelivery`) and the ladder's SMS
(`StaffSms`) are outbox rows written in their event's transaction. A session hook notes
the ids of the rows a flush inserted; once the transaction commits, a background task
(a greenlet under gevent, a thread in tests) makes one attempt at each of them with the
outbox's own `deliver_*` functions: each row is claimed by a conditional UPDATE first,
so whichever of this task, the job loop or another process claims it sends it, once; the
network is reached outside any transaction. A row this task could not send (a refusal, a
timeout, a robot over its per-minute limit, a process killed meanwhile) stays in the
outbox and the job loop retries it with backoff, as before. A rollback forgets the ids.

ALERTS_AT_ONCE=0 leaves every send to the job loop (the tests' default, so that they can
step the outbox by hand; tests/services/test_alerts_at_once.py switches it on).
"""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import Session

from app.extensions import db, socketio
from app.models import AlertDelivery, PushDelivery, StaffSms
from app.models.types import utcnow
from app.services.notify.channels import deliver_alert
from app.services.notify.ladder import deliver_sms
from app.services.notify.outbox import Deliver, one_by_one
from app.services.notify.push import deliver_pushes

log = logging.getLogger(__name__)

QUEUED_KEY = "park_mailbox_alerts_at_once"
TASKS_KEY = "park_mailbox_alert_tasks"
# the kind of outbox row -> one attempt at each of some of them (each claimed first)
SENDERS: dict[type[Any], Deliver] = {
    AlertDelivery: one_by_one(deliver_alert),
    StaffSms: one_by_one(deliver_sms),
    PushDelivery: deliver_pushes,  # side by side: a new case may reach a thousand phones
}
# Each commit's rows go in two tasks, by lane: a unit's few robots, webhooks and SMS, and
# its phones, which may be a thousand. Per lane at most MAX_TASKS[lane] sends at once run
# side by side in a process; beyond (a burst of cases on a busy server) that lane's rows wait for
# the job loop, which drains them all, so that the sends never crowd out the submissions
# for the database. In one lane, a webhook waited behind the phones' tasks for the job
# loop's next round (p99 12.8 s with 1,000 staff a unit, bench/alerts.py).
LANES: dict[type[Any], str] = {AlertDelivery: "few", StaffSms: "few", PushDelivery: "phones"}
MAX_TASKS = {"few": 8, "phones": 8}
_running = dict.fromkeys(MAX_TASKS, 0)
_running_lock = threading.Lock()


def note_queued_rows(session: Session, _flush_context: Any) -> None:
    """After a flush: remember the outbox rows it inserted (their ids exist now)."""
    rows = [(type(row), row.id) for row in session.new if type(row) in SENDERS]
    if rows:
        session.info.setdefault(QUEUED_KEY, []).extend(rows)


def forget_after_rollback(session: Session, previous_transaction: Any) -> None:
    # rows of a rolled-back transaction were never queued
    if previous_transaction.parent is None:
        session.info.pop(QUEUED_KEY, None)


def send_after_commit(session: Session) -> None:
    """After a commit: start sending the rows it queued, in the background."""
    rows: list[tuple[type[Any], int]] = session.info.pop(QUEUED_KEY, [])
    if not rows or not has_app_context() or not current_app.config.get("ALERTS_AT_ONCE"):
        return
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    lanes: dict[str, list[tuple[type[Any], int]]] = {}
    for row in rows:
        lanes.setdefault(LANES[row[0]], []).append(row)
    for lane, lane_rows in lanes.items():
        _start(app, lane, lane_rows)


def _start(app: Flask, lane: str, rows: list[tuple[type[Any], int]]) -> None:
    with _running_lock:
        if _running[lane] >= MAX_TASKS[lane]:
            log.info("%d alert(s) left to the job loop: %d sends at once running (%s)",
                     len(rows), _running[lane], lane)
            return
        _running[lane] += 1
    try:
        task = socketio.start_background_task(_send_rows, app, lane, rows)
    except Exception:  # no server to run it (a CLI without Socket.IO): the job sends them
        _done(lane)
        log.exception("could not start sending %d alert(s) at once", len(rows))
        return
    # weakly: a task that ended is dropped (kept only for wait_for_sends)
    app.extensions.setdefault(TASKS_KEY, weakref.WeakSet()).add(task)


def _send_rows(app: Flask, lane: str, rows: list[tuple[type[Any], int]]) -> None:
    """One attempt at each row (the background task); failures stay for the job loop."""
    try:
        with app.app_context():
            try:
                now = utcnow()
                for model, row_ids in _by_kind(rows).items():
                    try:
                        SENDERS[model](row_ids, now)
                    except Exception:  # the rows stay pending: the job loop retries them
                        db.session.rollback()
                        log.exception("%s %s: sending at once failed", model.__name__, row_ids)
            finally:
                db.session.remove()
    finally:
        _done(lane)


def _by_kind(rows: list[tuple[type[Any], int]]) -> dict[type[Any], list[int]]:
    """The rows' ids by kind, the kinds in the order of SENDERS."""
    kinds: dict[type[Any], list[int]] = {model: [] for model in SENDERS}
    for model, row_id in rows:
        kinds[model].append(row_id)
    return {model: ids for model, ids in kinds.items() if ids}


def _done(lane: str) -> None:
    with _running_lock:
        _running[lane] -= 1


def wait_for_sends(app: Flask, timeout: float = 30.0) -> None:
    """Wait until the background sends started so far have ended (tests, shutdown)."""
    for task in list(app.extensions.get(TASKS_KEY, ())):
        task.join(timeout)
