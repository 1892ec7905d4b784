"""Every SQLAlchemy session hook of the app, in one list, installed once per process.

They keep things that must change together in one transaction without any caller's help:
the visitor's outbox row and the bureau's rollups are written in the change's own flush;
staff events are emitted, photo files kept and the spot cache cleared only after commit;
a rollback drops the events and deletes the photo files of what never happened.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.realtime import publish
from app.services.bureau import rollups
from app.services.cases import board, photos
from app.services.notify import at_once, channels, push, visitors
from app.services.spots import cache

# (session event, hook), in the order they run for one event
SESSION_HOOKS: tuple[tuple[str, Callable[..., Any]], ...] = (
    ("before_flush", visitors.queue_notifications),
    ("before_flush", channels.queue_alerts),
    ("before_flush", push.queue_pushes),
    ("before_flush", rollups.note_old_values),
    ("after_flush", rollups.apply_changes),
    ("after_flush", cache.note_spot_changes),
    ("after_flush", board.note_board_changes),
    ("after_flush", at_once.note_queued_rows),
    ("after_commit", publish.emit_after_commit),
    ("after_commit", visitors.forget_visitor_action),
    ("after_commit", photos.keep_files),
    ("after_commit", cache.clear_after_commit),
    ("after_commit", board.clear_after_commit),
    ("after_commit", at_once.send_after_commit),
    ("after_soft_rollback", publish.drop_after_rollback),
    ("after_soft_rollback", photos.remove_files),
    ("after_soft_rollback", cache.forget_after_rollback),
    ("after_soft_rollback", board.forget_after_rollback),
    ("after_soft_rollback", at_once.forget_after_rollback),
    ("after_rollback", visitors.forget_visitor_action),
)


def install_session_hooks() -> None:
    """Listen on every session of the process (idempotent: one app or many)."""
    for name, hook in SESSION_HOOKS:
        if not event.contains(Session, name, hook):
            event.listen(Session, name, hook)
