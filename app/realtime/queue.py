"""The Redis message queue that carries Socket.IO events between server processes.

Redis pub/sub forgets what it could not deliver: while Redis is away, events published by
any process reach nobody, and nobody is told. The event log has them, so this manager
(1) configures the Redis client as the python-socketio docs and issue reports advise, and
(2) when its subscription comes back after an outage, disconnects this process's staff
sockets: every client reconnects with `auth={"since": last id}` and catches up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import socketio

from app.realtime import NAMESPACE

log = logging.getLogger(__name__)

# Sent to a session_room when its sessions end; every process then closes its own sockets
# in that room (a server-side namespace disconnect: the client does not reconnect).
SESSION_ENDED = "session.ended"


def disconnect_room(manager: socketio.base_manager.BaseManager, room: str) -> int:
    """Close this process's staff sockets in `room`; how many there were."""
    sids = [sid for sid, _eio_sid in manager.get_participants(NAMESPACE, room)]
    for sid in sids:
        manager.server.disconnect(sid, namespace=NAMESPACE, ignore_queue=True)
    if sids:
        log.info("closed %d staff sockets of an ended session", len(sids))
    return len(sids)

# The pub/sub connection idles between events: a read timeout (`socket_timeout`) would
# break it every few seconds and make it resubscribe forever, losing events in between
# (python-socketio #281 and its follow-ups). Instead: a bounded connect, TCP keepalive,
# and redis-py health checks that detect a dead connection on an idle subscription.
REDIS_OPTIONS: dict[str, Any] = {
    "socket_connect_timeout": 5,
    "socket_keepalive": True,
    "health_check_interval": 30,
}
# upstream doubles its retry delay up to 60 s; a park cannot wait a minute after Redis is back
MAX_RETRY_SECONDS = 5.0


class EventQueue(socketio.RedisManager):
    """RedisManager that resubscribes quickly and makes local clients catch up afterwards."""

    def _redis_listen_with_retries(self) -> Iterator[dict[str, Any]]:
        # The same loop as upstream's, plus the catch-up after an outage and a capped delay.
        retry_sleep = 1.0
        lost = False
        while True:
            try:
                self._redis_connect()
                self.pubsub.subscribe(self.channel)
                if lost:
                    log.warning("message queue is back; local staff sockets will catch up")
                    self._ask_clients_to_catch_up()
                    lost = False
                retry_sleep = 1.0
                yield from self.pubsub.listen()
            except Exception as exc:  # any Redis or socket failure: retry, never die
                lost = True
                log.error("message queue unavailable (%s); retrying in %.0f s", exc, retry_sleep)
                time.sleep(retry_sleep)
                retry_sleep = min(retry_sleep * 2, MAX_RETRY_SECONDS)

    def _handle_emit(self, message: dict[str, Any]) -> None:
        super()._handle_emit(message)
        if message.get("event") == SESSION_ENDED and isinstance(message.get("room"), str):
            disconnect_room(self, message["room"])

    def _ask_clients_to_catch_up(self) -> None:
        """Close this process's staff connections: clients reconnect with `since` and replay."""
        # The transport is closed, not the namespace: socket.io clients reconnect on their
        # own after a lost connection, but not after a server-side namespace disconnect.
        connections = [eio_sid for _, eio_sid in self.get_participants(NAMESPACE, None)]
        for eio_sid in connections:
            try:
                self.server.eio.disconnect(eio_sid)
            except Exception:  # a connection closing on its own meanwhile is fine
                log.debug("connection %s was already gone", eio_sid, exc_info=True)
        log.info("asked %d staff connections to reconnect and catch up", len(connections))


def make_event_queue(url: str | None, channel: str) -> EventQueue | None:
    """The client manager for SOCKETIO_MESSAGE_QUEUE, or None for one in-process server."""
    if not url:
        return None
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise RuntimeError(f"SOCKETIO_MESSAGE_QUEUE must be a redis:// URL, not {url!r}")
    return EventQueue(url, channel=channel, redis_options=dict(REDIS_OPTIONS))
