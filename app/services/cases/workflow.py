"""The case state machine: which status may follow which, and what each step records."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, case, func, literal

from app.models import Case, CaseChannel, Source, Status

CLOSING = (Status.CLOSED, Status.DUPLICATE, Status.REFERRED, Status.NO_ACTION, Status.SPAM)
_HONEST_CLOSES = {Status.DUPLICATE, Status.REFERRED, Status.NO_ACTION, Status.SPAM}

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RESOLVED}
                          | _HONEST_CLOSES),
    Status.ACKNOWLEDGED: frozenset({Status.IN_PROGRESS, Status.RESOLVED} | _HONEST_CLOSES),
    Status.IN_PROGRESS: frozenset({Status.RESOLVED} | _HONEST_CLOSES),
    # back to in_progress is a reopen ("not fixed")
    Status.RESOLVED: frozenset({Status.CLOSED, Status.IN_PROGRESS}),
    Status.CLOSED: frozenset(),
    Status.DUPLICATE: frozenset(),
    Status.REFERRED: frozenset(),
    Status.NO_ACTION: frozenset(),
    Status.SPAM: frozenset(),
}

# Every message is answered: a case reaches these only with a public reply to its visitor,
# in the same step or before ("closed" comes from "resolved", which had one; spam needs none)
NEEDS_REPLY = frozenset({Status.RESOLVED, Status.CLOSED, Status.NO_ACTION, Status.DUPLICATE,
                         Status.REFERRED})


STATUS_LABELS = {
    Status.NEW: _l("New"),
    Status.ACKNOWLEDGED: _l("Acknowledged"),
    Status.IN_PROGRESS: _l("In progress"),
    Status.RESOLVED: _l("Resolved"),
    Status.CLOSED: _l("Closed"),
    Status.DUPLICATE: _l("Duplicate"),
    Status.REFERRED: _l("Referred elsewhere"),
    Status.NO_ACTION: _l("No action needed"),
    Status.SPAM: _l("Spam"),
}

# where a case came from, as people read it (exports)
SOURCE_LABELS = {
    Source.QR.value: _l("QR code"),
    Source.HOTLINE.value: _l("12345 hotline"),
    Source.STAFF.value: _l("Taken down by staff"),
    Source.API.value: _l("Through the API"),
    Source.OPEN311.value: _l("Open311"),
}


# the roles of unit staff, as people read them (a category is answered by a role)
# how staff heard of a case they took down (the form's choices, the thread, the filters)
CHANNEL_LABELS = {
    CaseChannel.PHONE.value: _l("Phone call"),
    CaseChannel.COUNTER.value: _l("At the counter"),
    CaseChannel.PATROL.value: _l("Found on patrol"),
    CaseChannel.OTHER.value: _l("Other"),
}

# One word for where a case came in, for filters and figures: the QR code, the 12345 hotline,
# each way staff hear of a case (phone, counter, patrol, other) and other systems (the JSON
# API and Open311 together). `intake_channel()` computes it in SQL, once.
INTAKE_CHANNELS = {
    "qr": _l("QR code"),
    "hotline": _l("12345 hotline"),
    CaseChannel.PHONE.value: _l("Phone call"),
    CaseChannel.COUNTER.value: _l("At the counter"),
    CaseChannel.PATROL.value: _l("Found on patrol"),
    CaseChannel.OTHER.value: _l("Other (staff)"),
    "api": _l("API / Open311"),
}


def intake_channel() -> ColumnElement[str]:
    """A case's intake channel (a key of INTAKE_CHANNELS) as an SQL expression."""
    return case(
        (Case.source == Source.STAFF.value, func.coalesce(Case.channel, CaseChannel.OTHER.value)),
        (Case.source.in_([Source.API.value, Source.OPEN311.value]), literal("api")),
        else_=Case.source)


def intake_channel_of(source: str, channel: str | None) -> str:
    """One case's intake channel, as `intake_channel()` computes it (the rollups' hooks)."""
    if source == Source.STAFF.value:
        return channel if channel is not None else CaseChannel.OTHER.value
    if source in (Source.API.value, Source.OPEN311.value):
        return "api"
    return source


ROLE_LABELS = {
    "director": _l("Director"),
    "security": _l("Security"),
    "cleaning": _l("Cleaning"),
    "maintenance": _l("Maintenance"),
    "service": _l("Visitor service"),
    "viewer": _l("Viewer (read only)"),
}


def can_move(current: str, target: str) -> bool:
    return Status(target) in TRANSITIONS[Status(current)]


def awaits_reply(case: Case) -> bool:
    """Someone waits for a word about this case: everyone but a patrol's own finding, which
    is answered by its fix."""
    return case.channel != CaseChannel.PATROL.value


def needs_reply(case: Case, target: Status) -> bool:
    """Moving the case to `target` needs a public reply first (it has none yet)."""
    return target in NEEDS_REPLY and case.first_response_at is None and awaits_reply(case)


def apply_status(case: Case, target: Status, now: datetime) -> None:
    """Set the status and the timestamp of the step it marks (the first time only)."""
    if case.status == Status.RESOLVED and target == Status.IN_PROGRESS:
        case.reopen_count += 1
        case.resolved_at = None
    case.status = target.value
    case.updated_at = now
    if target != Status.NEW and case.acknowledged_at is None:
        case.acknowledged_at = now
    if target == Status.RESOLVED:
        case.resolved_at = now
    if target in CLOSING:
        case.closed_at = now
