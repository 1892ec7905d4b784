"""Less memory per idle staff socket: how Engine.IO serves websockets here.

A staff phone keeps its socket open all day, and a city's staff hold thousands of them on
one process (bench/README.md, "Memory per staff socket"). Engine.IO's gevent driver gave
each socket four greenlets, and every greenlet keeps a stack: the request's, waiting for
the next message; simple-websocket's reader, blocked in recv() beside it; the writer,
waiting on a queue (with a timer) for packets to send; and one that sleeps until the
socket's next ping. Here one greenlet is left, the request's:

- it reads its socket itself (`InlineServer`: simple-websocket's own frame, ping and close
  handling, without its reader);
- a packet is written by the greenlet that sends it, at once when the socket can take it
  (`DirectWriter`, in place of the socket's queue); a greenlet is started only to finish a
  write the socket could not take (a slow phone), and ends when it is done;
- one greenlet of the server sends every socket's ping in its turn (`PingWheel`);
- nothing of the handshake is kept once the socket is open: neither wsproto's HTTP/1.1
  parser (`_Handshaken`) nor the class Engine.IO's middleware defines for each request
  that carries gunicorn's socket (`keep_socket_aside`).

Engine.IO's service task still closes a socket whose pong does not come in time.

Engine.IO's protocol is kept as it was (tests/test_server.py,
tests/realtime/test_websocket.py, tests/realtime/test_ping_wheel.py).
`lighten_idle_sockets` installs them, from create_app.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import engineio.socket
import gevent
import simple_websocket
from engineio import exceptions, packet
from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI
from flask import Flask
from wsproto.connection import ConnectionState
from wsproto.events import CloseConnection, Message, TextMessage
from wsproto.frame_protocol import CloseReason

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
ASIDE = "parkmailbox.websocket"  # gunicorn's socket, out of Engine.IO's middleware's way


def lighten_idle_sockets(app: Flask, engineio_server: Any) -> None:
    """Serve the websockets of the app's Engine.IO server as above (the ping wheel goes on
    Engine.IO's Socket class: for every server of the process, each server with a wheel of
    its own). Call it once the Socket.IO middleware wraps the app."""
    if engineio_server.async_mode == "gevent":
        engineio_server._async = {**engineio_server._async, "websocket": InlineWebSocketWSGI}
        app.wsgi_app = keep_socket_aside(app.wsgi_app)  # type: ignore[method-assign,assignment]
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


def keep_socket_aside(wsgi_app: WSGIApp) -> WSGIApp:
    """Move gunicorn's socket of a websocket handshake out of Engine.IO's middleware's way.

    On every request that carries `gunicorn.socket` the middleware defines a class, to hand
    the socket over in eventlet's form, which nothing here reads; the middleware's frame
    keeps it for as long as the socket is open, 2.5 KB a staff socket. InlineWebSocketWSGI
    puts the socket back where simple-websocket looks for it, so only lighten_idle_sockets
    installs this, with it (gevent mode).
    """

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("HTTP_UPGRADE", "").lower() == "websocket" and (
                "gunicorn.socket" in environ):
            environ[ASIDE] = environ.pop("gunicorn.socket")
        return wsgi_app(environ, start_response)

    return app


class _Handshaken:
    """A websocket's finished handshake: wsproto keeps asking it for events, and it has
    none; its HTTP/1.1 parser and the request it read (2 KB a socket) can go."""

    @staticmethod
    def events() -> Iterator[Any]:
        return iter(())


class InlineWebSocketWSGI(SimpleWebSocketWSGI):
    """Engine.IO's websocket handler (engineio.async_drivers._websocket_wsgi) on an
    InlineServer, with the socket's packets written by a DirectWriter."""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if ASIDE in environ:
            environ["gunicorn.socket"] = environ.pop(ASIDE)
        self.ws = InlineServer(environ, thread_class=_NoReader, **self.server_args)
        if self.ws.ws.connection is not None:  # open: the handshake is behind it
            self.ws.ws.handshake = _Handshaken()
        # Engine.IO hands over its socket's bound Socket._websocket_handler; this serves it
        answer = serve_websocket(self.app.__self__, self)
        if self.ws.mode == "gunicorn":
            raise StopIteration()  # gunicorn: the response was the websocket
        if self.ws.mode == "werkzeug":
            raise ConnectionError()  # as simple-websocket's: the server closes the socket
        return answer


def serve_websocket(sock: Any, ws: InlineWebSocketWSGI) -> list[Any]:
    """Engine.IO's Socket._websocket_handler (engineio/socket.py), with a DirectWriter in
    place of its writer greenlet and queue."""
    server = sock.server
    if sock.connected:  # an upgrade from long-polling: the probe, then the upgrade packet
        sock.upgrading = True  # the polling transport sends nothing more
        if not _probe(sock, ws):
            sock.upgrading = False
            return []
        server.sleep(0)  # the pending poll takes the NOOP that ends it before the writer
    sock.connected = sock.upgraded = True
    sock.upgrading = False
    writer = sock.queue = DirectWriter(ws.ws, server, queued=sock.queue)
    while True:
        data = ws.wait()
        if data is None or len(data) > server.max_http_buffer_size:
            break  # closed by the client, or a packet too large (Engine.IO's limit)
        received = _decoded(data)
        if received is None:
            break  # not an Engine.IO packet: the client is not one
        try:
            sock.receive(received)
        except exceptions.UnknownPacketError:
            pass
        except exceptions.SocketIsClosedError:
            break
        except Exception:
            server.logger.exception("Unknown receive error")
            break
    writer.put(None)  # closes the websocket once what is queued is written
    sock.close(wait=False, abort=True, reason=server.reason.TRANSPORT_CLOSE)
    return []


def _probe(sock: Any, ws: InlineWebSocketWSGI) -> bool:
    """The upgrade's handshake, as Engine.IO's: answer the probe, end the pending poll,
    wait for the upgrade packet."""
    probe = _decoded(ws.wait())
    if probe is None or probe.packet_type != packet.PING or probe.data != "probe":
        return False
    ws.send(packet.Packet(packet.PONG, data="probe").encode())
    sock.queue.put(packet.Packet(packet.NOOP))  # ends the poll
    upgrade = _decoded(ws.wait())
    return upgrade is not None and upgrade.packet_type == packet.UPGRADE


def _decoded(data: str | bytes | None) -> packet.Packet | None:
    """An Engine.IO packet, or None for none (the socket closed) or one that is not."""
    if data is None:
        return None
    try:
        return packet.Packet(encoded_packet=data)
    except ValueError:  # empty, or no packet type
        return None


class DirectWriter:
    """An upgraded socket's packets, written to its websocket by the greenlet that sends
    them; it stands in for the socket's queue (`put`, `join`).

    A write the socket takes at once (nearly all: the staff page's messages are small) is
    done before `put` returns. What the socket cannot take yet waits in order, and a
    greenlet writes it as the socket drains and ends when it is done, so a slow phone holds
    up neither the sender nor the other sockets of its park; one that takes nothing for
    longer than a ping may go unanswered is gone, and its socket is closed (`abort`).
    `None` closes the websocket once what waits is written, as Engine.IO's writer did.
    The websocket's own frames (a pong, the answer to a close) go the same way, so that no
    frame is ever written into the middle of another.
    """

    def __init__(self, ws: InlineServer, server: Any, queued: Any) -> None:
        self.ws = ws
        self.sock = ws.sock
        ws.sock = _WrittenInOrder(self)
        self.server = server
        self.patience = server.ping_interval + server.ping_timeout
        self.waiting: deque[bytes] = deque()
        self.flusher: Any = None
        self.ending = False
        while not queued.empty():  # sent before the upgrade: written first, in order
            self.put(queued.get_nowait())

    def put(self, pkt: packet.Packet | None) -> None:
        if self.ending or not self.ws.connected:
            return
        if pkt is None:  # the close frame, then the socket is closed
            self.ws.connected = False
            self.write(self.ws.ws.send(CloseConnection(CloseReason.NORMAL_CLOSURE)), last=True)
            return
        self.write(_frame(self.ws, pkt))

    def write(self, frame: bytes, *, last: bool = False) -> None:
        """Write a frame after those waiting; `last`: the socket is closed once it is
        written, and nothing is written after it."""
        if self.ending:
            return
        self.ending = last
        self.waiting.append(frame)
        if self.flusher is None:
            self._write_now()

    def join(self) -> None:
        """Wait until what waits is written (Engine.IO's `close(wait=True)`)."""
        if self.flusher is not None:
            self.flusher.join()

    def abort(self) -> None:
        """Close the socket now, with whatever waits (the phone stopped taking it)."""
        self.ending = True
        self.ws.connected = False
        self.waiting.clear()
        self.sock.close()  # a greenlet blocked on it, reading or writing, gets an error

    def _write_now(self) -> None:
        while self.waiting:
            data = self.waiting[0]
            try:
                sent = self.sock.send(data, 0, 0.0)  # gevent's socket: 0.0, never wait
            except BlockingIOError:
                sent = 0
            except OSError:
                self.waiting.clear()
                break
            if sent < len(data):
                self.waiting[0] = data[sent:]
                self.flusher = self.server.start_background_task(self._write_later)
                return
            self.waiting.popleft()
        self._close_if_ending()

    def _write_later(self) -> None:
        try:
            while self.waiting:
                # a phone that takes nothing for as long as a ping may go unanswered is
                # gone (Engine.IO's service task would close it, after this write)
                with gevent.Timeout(self.patience):
                    self.sock.sendall(self.waiting[0])
                self.waiting.popleft()
        except (OSError, gevent.Timeout):
            self.abort()
        self.flusher = None
        self._close_if_ending()

    def _close_if_ending(self) -> None:
        if self.ending:
            self.sock.close()


class _LastFrame:
    """The websocket frame of the packet last sent, and the packet.

    An event to a room is one Engine.IO packet, put to every socket of the room in turn
    (Socket.IO's `Manager.emit`), and its frame is the same bytes for each: a server does
    not mask (RFC 6455, 5.1), and no socket here has an extension (compression is declined,
    app/realtime/compression.py). So wsproto frames it once, not once a socket: 8 µs a
    socket, a quarter of a millisecond for a park's 33 staff sockets in the bench. The
    packet is held, so it cannot be confused with a new one at the same address."""

    packet: packet.Packet | None = None
    frame = b""


def _frame(ws: InlineServer, pkt: packet.Packet) -> bytes:
    """The frame of `pkt` on this websocket (sent through its wsproto connection)."""
    if pkt is _LastFrame.packet and ws.ws.state == ConnectionState.OPEN and not _extensions(ws):
        return _LastFrame.frame
    encoded = pkt.encode()
    frame: bytes = ws.ws.send(Message(data=encoded) if isinstance(encoded, bytes)
                              else TextMessage(data=encoded))
    if not _extensions(ws):
        _LastFrame.packet, _LastFrame.frame = pkt, frame
    return frame


def _extensions(ws: InlineServer) -> list[Any]:
    """The extensions the websocket agreed with its client (none when declined)."""
    connection = ws.ws.connection  # wsproto keeps them on its frame protocol
    return list(connection._proto.extensions) if connection is not None else []


class _WrittenInOrder:
    """The socket as simple-websocket sees it once a DirectWriter writes: its frames (a
    pong, the answer to a close) are written in turn with the packets."""

    def __init__(self, writer: DirectWriter) -> None:
        self.writer = writer

    def send(self, data: bytes) -> int:
        self.writer.write(data)
        return len(data)

    def recv(self, size: int) -> bytes:
        return bytes(self.writer.sock.recv(size))

    def close(self) -> None:
        self.writer.sock.close()


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
