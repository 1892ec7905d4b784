"""Realtime delivery to staff phones over Socket.IO (namespace /staff)."""

NAMESPACE = "/staff"
# every bureau user's connection joins this room; these kinds of event are sent there too
BUREAU_ROOM = "bureau"
BUREAU_KINDS = ("warning.raised",)


def park_room(park_id: int) -> str:
    return f"park:{park_id}"


def unit_room(unit_id: int) -> str:
    return f"unit:{unit_id}"
