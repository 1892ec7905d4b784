"""Realtime delivery to staff phones over Socket.IO (namespace /staff)."""

NAMESPACE = "/staff"


def park_room(park_id: int) -> str:
    return f"park:{park_id}"


def unit_room(unit_id: int) -> str:
    return f"unit:{unit_id}"
