"""Realtime delivery to staff phones over Socket.IO (namespace /staff)."""

import hashlib

NAMESPACE = "/staff"
# every bureau user's connection joins this room; these kinds of event are sent there too
BUREAU_ROOM = "bureau"
BUREAU_KINDS = ("warning.raised",)


def park_room(park_id: int) -> str:
    return f"park:{park_id}"


def unit_room(unit_id: int) -> str:
    return f"unit:{unit_id}"


def session_room(user_id: int, session_nonce: str) -> str:
    """The room of one login generation of a person: every socket opened with the session
    nonce that a password reset, a deactivation or "log out everywhere" replaces (the nonce
    itself is hashed: room names travel through the message queue)."""
    return f"session:{user_id}:{hashlib.sha256(session_nonce.encode()).hexdigest()[:16]}"
