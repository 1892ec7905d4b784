"""An upgraded staff socket's packets are written by the greenlet that sends them
(app/realtime/websocket.py, `DirectWriter`), with no writer greenlet per socket: a phone
that stops reading holds up no sender, and what it has not taken yet reaches it whole and
in order, or goes when its socket is aborted.

Real parts: a websocket (simple-websocket's handshake, `InlineServer`) on a TCP connection
over loopback with small buffers, gevent's sockets and greenlets, Engine.IO's packets; the
phone's side reads raw frames.
"""

from __future__ import annotations

import socket as stdlib_socket
import struct

import engineio
import gevent
import pytest
import simple_websocket
import wsproto
from engineio import packet
from gevent import socket
from wsproto.events import TextMessage
from wsproto.utilities import LocalProtocolError

from app.realtime.websocket import DirectWriter, InlineServer, _NoReader

MESSAGES = 200
SIZE = 8_000  # 200 messages of 8 KB: far more than the connection's buffers hold


def websocket_pair() -> tuple[InlineServer, socket.socket]:
    """The server's side of an open websocket, and the phone's end of its connection."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    phone = socket.socket()
    phone.setsockopt(stdlib_socket.SOL_SOCKET, stdlib_socket.SO_RCVBUF, 4096)
    phone.connect(listener.getsockname())
    served, _address = listener.accept()
    listener.close()
    served.setsockopt(stdlib_socket.SOL_SOCKET, stdlib_socket.SO_SNDBUF, 4096)
    environ = {"gunicorn.socket": served, "HTTP_HOST": "127.0.0.1",
               "HTTP_CONNECTION": "Upgrade", "HTTP_UPGRADE": "websocket",
               "HTTP_SEC_WEBSOCKET_VERSION": "13",
               "HTTP_SEC_WEBSOCKET_KEY": "dGhlIHNhbXBsZSBub25jZQ=="}
    ws = InlineServer(environ, thread_class=_NoReader)
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += phone.recv(1)
    assert answer.startswith(b"HTTP/1.1 101")
    return ws, phone


def read_exactly(phone: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = phone.recv(count - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def read_frame(phone: socket.socket) -> tuple[int, bytes]:
    """One unmasked frame from the server (RFC 6455, 5.2): its opcode and payload."""
    first, second = read_exactly(phone, 2)
    length = second & 0x7F
    if length == 126:
        length = struct.unpack("!H", read_exactly(phone, 2))[0]
    elif length == 127:
        length = struct.unpack("!Q", read_exactly(phone, 8))[0]
    return first & 0x0F, read_exactly(phone, length)


@pytest.fixture
def server():
    """Engine.IO's gevent mode: its background tasks are greenlets."""
    return engineio.Server(async_mode="gevent")


def writer_with_a_backlog(server) -> tuple[DirectWriter, socket.socket, gevent.Greenlet]:
    """A writer with more packets than the phone's connection holds: the rest waits, and
    the greenlet finishing it."""
    ws, phone = websocket_pair()
    writer = DirectWriter(ws, server, queued=server.create_queue())
    for n in range(MESSAGES):
        writer.put(packet.Packet(packet.MESSAGE, f"{n:05d}" + "x" * SIZE))
    assert writer.flusher is not None
    return writer, phone, writer.flusher


def frames_until_hung_up(phone: socket.socket) -> int:
    """How many frames the phone reads before the server hangs up."""
    received = 0
    try:
        while True:
            read_frame(phone)
            received += 1
    except (EOFError, ConnectionResetError):
        return received


def read_until_closed(ws: InlineServer) -> str:
    try:
        while True:
            ws.receive()
    except simple_websocket.ConnectionClosed:
        return "closed"


def masked_ping(data: bytes) -> bytes:
    """A websocket ping as a client sends it (masked, RFC 6455, 5.3)."""
    mask = b"\x01\x02\x03\x04"
    return bytes([0x89, 0x80 | len(data)]) + mask + bytes(
        byte ^ mask[i % 4] for i, byte in enumerate(data))


def test_a_phone_that_stops_reading_holds_up_no_sender_and_gets_every_packet_in_order(server):
    ws, phone = websocket_pair()
    opened = packet.Packet(packet.OPEN, {"sid": "x"})
    before_upgrade = server.create_queue()
    before_upgrade.put(opened)
    writer = DirectWriter(ws, server, queued=before_upgrade)
    with gevent.Timeout(10):  # a send that waited for the phone would block here
        for n in range(MESSAGES):
            writer.put(packet.Packet(packet.MESSAGE, f"{n:05d}" + "x" * SIZE))
    assert writer.flusher is not None  # the rest waits, written as the phone reads
    reader = gevent.spawn(read_until_closed, ws)  # as serve_websocket's: it answers pings
    phone.sendall(masked_ping(b"there?"))
    gevent.sleep(0.1)
    writer.put(None)  # close once everything is written
    with gevent.Timeout(30):
        assert read_frame(phone) == (0x1, opened.encode().encode())
        for n in range(MESSAGES):
            opcode, payload = read_frame(phone)
            assert (opcode, payload[:6]) == (0x1, f"4{n:05d}".encode())
            assert len(payload) == 6 + SIZE
        # the pong, whole, after the messages that waited before it (not inside one)
        assert read_frame(phone) == (0xA, b"there?")
        assert read_frame(phone)[0] == 0x8  # the close frame, after every message
        assert phone.recv(1) == b""  # and the server hung up
    assert writer.flusher is None
    writer.put(packet.Packet(packet.MESSAGE, "late"))  # after the close: nothing, no error
    with gevent.Timeout(5):
        assert reader.get() == "closed"  # the reader ends with the socket
    phone.close()


def test_a_socket_aborted_with_packets_waiting_closes_at_once(server):
    writer, phone, flusher = writer_with_a_backlog(server)
    writer.abort()  # the phone stopped answering pings
    with gevent.Timeout(10):
        flusher.join()  # its greenlet ends: nothing left to write, the socket closed
        received = frames_until_hung_up(phone)
    assert received < MESSAGES  # what waited was dropped, not written
    assert writer.flusher is None
    assert not writer.waiting
    phone.close()


def test_a_phone_that_takes_nothing_for_a_ping_interval_and_timeout_is_hung_up_on():
    """The greenlet finishing a write gives up, and closes the socket, when the phone takes
    nothing for as long as a ping may go unanswered (here 0.2 + 0.3 s)."""
    server = engineio.Server(async_mode="gevent", ping_interval=0.2, ping_timeout=0.3)
    writer, phone, flusher = writer_with_a_backlog(server)
    with gevent.Timeout(10):
        flusher.join()  # nothing read: it gave up
    assert writer.ending
    assert not writer.waiting
    assert writer.flusher is None
    assert writer.sock.fileno() == -1  # the server's side is closed
    phone.close()


def test_a_packet_put_to_a_rooms_sockets_is_framed_once_and_each_gets_it_whole(
        server, monkeypatch):
    """An event to a room is one packet put to each of its sockets: wsproto frames it once,
    and every phone reads the same, whole frame; a new packet is framed anew."""
    framed = []
    send = wsproto.WSConnection.send

    def counted(self, event):
        if isinstance(event, TextMessage):
            framed.append(event)
        return send(self, event)

    monkeypatch.setattr(wsproto.WSConnection, "send", counted)
    pairs = [websocket_pair() for _ in range(3)]
    writers = [DirectWriter(ws, server, queued=server.create_queue()) for ws, _phone in pairs]
    event = packet.Packet(packet.MESSAGE, '42/staff,["case.updated",{"change":"me_too"}]')
    for writer in writers:
        writer.put(event)
    assert len(framed) == 1
    for _ws, phone in pairs:
        assert read_frame(phone) == (0x1, b'442/staff,["case.updated",{"change":"me_too"}]')
    same_words = packet.Packet(packet.MESSAGE, '42/staff,["case.updated",{"change":"me_too"}]')
    for writer in writers:
        writer.put(same_words)
    assert len(framed) == 2
    for _ws, phone in pairs:
        assert read_frame(phone)[1].endswith(b'{"change":"me_too"}]')
    for writer, (_ws, phone) in zip(writers, pairs, strict=True):
        writer.abort()
        phone.close()


def test_a_socket_its_phone_is_closing_gets_no_shared_frame(server):
    """A socket whose phone has sent a close is not written the room's frame: it is framed
    by wsproto, which refuses a message on a closing connection, as before."""
    (open_ws, open_phone), (closing_ws, closing_phone) = websocket_pair(), websocket_pair()
    writers = [DirectWriter(ws, server, queued=server.create_queue())
               for ws in (open_ws, closing_ws)]
    mask = b"\x01\x02\x03\x04"
    code = (1000).to_bytes(2, "big")
    # the phone's close frame, read by wsproto, not yet answered by the socket's reader
    closing_ws.ws.receive_data(bytes([0x88, 0x80 | len(code)]) + mask + bytes(
        byte ^ mask[i % 4] for i, byte in enumerate(code)))
    assert [type(e).__name__ for e in closing_ws.ws.events()] == ["CloseConnection"]
    event = packet.Packet(packet.MESSAGE, '42/staff,["feedback.created",{}]')
    writers[0].put(event)
    with pytest.raises(LocalProtocolError):
        writers[1].put(event)
    assert read_frame(open_phone) == (0x1, b'442/staff,["feedback.created",{}]')
    closing_phone.settimeout(0.2)
    with pytest.raises(TimeoutError):
        closing_phone.recv(1)
    for writer, phone in zip(writers, (open_phone, closing_phone), strict=True):
        writer.abort()
        phone.close()
