"""Less memory per idle staff socket: two changes to how Engine.IO serves websockets.

A staff phone keeps its socket open all day, and a city's staff hold thousands of them on
one process (bench/README.md, "Memory per staff socket"). Engine.IO's gevent driver gave
each socket four greenlets, and every greenlet keeps a stack: the request's, waiting for
the next message; simple-websocket's reader, blocked in recv() beside it; the writer,
waiting for packets to send; and one that sleeps until the socket's next ping. Here:

- the request's greenlet reads its socket itself (`InlineServer`: simple-websocket's own
  frame, ping and close handling, without its reader), and
- one greenlet of the server sends every socket's ping in its turn (`PingWheel`).

Both keep Engine.IO's protocol as it was (tests/test_server.py,
tests/realtime/test_ping_wheel.py). `lighten_idle_sockets` installs them, from create_app.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

import engineio.socket
import simple_websocket
from engineio import packet
from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI


def lighten_idle_sockets(engineio_server: Any) -> None:
    """Serve the websockets of this Engine.IO server with the two changes above (the
    ping wheel goes on Engine.IO's Socket class: for every server of the process, each
    server with a wheel of its own)."""
    if engineio_server.async_mode == "gevent":
        engineio_server._async = {**engineio_server._async, "websocket": InlineWebSocketWSGI}
    engineio.socket.Socket.schedule_ping = _schedule_ping


class _NoReader:
    """Stands in for simple-websocket's reader thread: InlineServer.receive reads."""

    name = "(_thread)"

    def __init__(self, target: Any) -> None:
        pass

    def start(self) -> None:
        pass


class InlineServer(simple_websocket.Server):
    """simple-websocket's server, read by the greenlet that waits for a message."""

    connected: bool

    def receive(self, timeout: float | None = None) -> Any:
        if timeout is not None:  # Engine.IO waits without one
            raise NotImplementedError("InlineServer.receive waits without a timeout")
        while self.connected and not self.input_buffer:
            try:
                data = self.sock.recv(self.receive_bytes)
            except OSError:
                data = b""
            if not data:
                self.connected = False
                break
            self.ws.receive_data(data)
            self.connected = self._handle_events()  # answers pings and a close
        if self.input_buffer:
            return self.input_buffer.pop(0)
        self.sock.close()
        raise simple_websocket.ConnectionClosed(self.close_reason, self.close_message)


class InlineWebSocketWSGI(SimpleWebSocketWSGI):
    """Engine.IO's websocket handler (engineio.async_drivers._websocket_wsgi) on an
    InlineServer."""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.ws = InlineServer(environ, thread_class=_NoReader, **self.server_args)
        answer = self.app(self)
        if self.ws.mode == "gunicorn":
            raise StopIteration()  # gunicorn: the response was the websocket
        if self.ws.mode == "werkzeug":
            raise ConnectionError()  # as simple-websocket's: the server closes the socket
        return answer


class PingWheel:
    """Every socket's next Engine.IO ping, sent by one task of the server's.

    Every socket waits the same interval after its last pong, so the sockets due next are
    always at the front of one queue.
    """

    def __init__(self, server: Any) -> None:
        self.server = server
        self.due: deque[tuple[float, Any]] = deque()
        self.running = False

    def schedule(self, sock: Any) -> None:
        # as Engine.IO's own: a new ping only once the previous one was answered
        if not sock.last_ping:
            return
        sock.last_ping = None
        self.due.append((time.monotonic() + self.server.ping_interval, sock))
        if not self.running:
            self.running = True
            self.server.start_background_task(self._run)

    def _run(self) -> None:
        while self.due:
            when, sock = self.due[0]
            wait = when - time.monotonic()
            if wait > 0:
                self.server.sleep(wait)
                continue
            self.due.popleft()
            if not sock.closing and not sock.closed:
                sock.last_ping = time.time()
                sock.send(packet.Packet(packet.PING))
        self.running = False


def _schedule_ping(sock: Any) -> None:
    """Engine.IO's Socket.schedule_ping, on its server's wheel."""
    wheel = getattr(sock.server, "ping_wheel", None)
    if wheel is None:
        wheel = sock.server.ping_wheel = PingWheel(sock.server)
    wheel.schedule(sock)
