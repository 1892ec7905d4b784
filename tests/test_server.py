"""The production server stack (gunicorn + gevent + Socket.IO) serves the whole loop."""

from __future__ import annotations

import json
import re
import threading
import time

import pytest
import requests
import socketio
import websocket

from tests.support.servers import (
    demo_spots,
    prepare_database,
    running_server,
    served_database,
    server_env,
)

pytestmark = pytest.mark.server

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def staff_socket(server, transports: list[str]) -> socketio.SimpleClient:
    """The Ritan director's socket on the staff namespace, as the staff page opens it."""
    staff = requests.Session()
    token = CSRF.search(staff.get(f"{server.url}/staff/login").text).group(1)
    staff.post(f"{server.url}/staff/login", data={
        "email": "director@ritan.demo", "password": "demo12345", "csrf_token": token})
    client = socketio.SimpleClient()
    client.connect(server.url, namespace="/staff", transports=transports,
                   headers={"Cookie": f"session={staff.cookies['session']}"})
    return client


def report(server, spot: dict, category: str, text: str) -> None:
    """A visitor opens the spot's form and sends it."""
    visitor = requests.Session()
    form_url = f"{server.url}/q/{spot['code']}"
    token = CSRF.search(visitor.get(form_url).text).group(1)
    response = visitor.post(form_url, allow_redirects=False, data={
        "category": category, "body": text, "csrf_token": token})
    assert response.status_code == 303


def open_websocket(server, query: str = "") -> websocket.WebSocket:
    """A raw Engine.IO websocket to the server (the open packet not read yet)."""
    return websocket.create_connection(
        server.url.replace("http://", "ws://")
        + f"/socket.io/?EIO=4&transport=websocket{query}", origin=server.url, timeout=10)


def hung_up(ws: websocket.WebSocket) -> bool:
    """Whether the server's next frame is its close, or it ends the stream (or resets it)."""
    try:
        opcode, _frame = ws.recv_data_frame(control_frame=True)
    except (websocket.WebSocketConnectionClosedException, ConnectionResetError):
        return True
    return bool(opcode == websocket.ABNF.OPCODE_CLOSE)


def test_served_app_delivers_a_new_case_to_a_real_socket_client(tmp_path):
    env = server_env(served_database(tmp_path, "live"), tmp_path / "instance")
    prepare_database(env)
    spots = demo_spots()
    with running_server(env, tmp_path / "server.log") as server:
        client = staff_socket(server, ["websocket"])
        try:
            report(server, spots[0], "noise", "广场舞音响太响")
            name, payload = client.receive(timeout=5)
            assert name == "feedback.created"
            assert payload["excerpt"] == "广场舞音响太响"
            assert payload["point_name"] == spots[0]["name"]
        finally:
            client.disconnect()
        # a browser's handshake offers permessage-deflate; the socket opens without it
        # (app/realtime/compression.py: a zlib compressor per idle socket otherwise)
        upgrade = requests.get(
            f"{server.url}/socket.io/?EIO=4&transport=websocket", stream=True, timeout=10,
            headers={"Connection": "Upgrade", "Upgrade": "websocket",
                     "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                     "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits"})
        assert upgrade.status_code == 101
        assert "Sec-WebSocket-Extensions" not in upgrade.headers
        upgrade.close()


def test_a_socket_read_by_its_request_greenlet_keeps_the_websocket_protocol(tmp_path):
    """The request's greenlet reads its socket (app/realtime/websocket.py, no reader
    greenlet beside it): a websocket ping is answered with its pong, an Engine.IO message
    with its answer, and a close with a close, after which the server hangs up."""
    env = server_env(served_database(tmp_path, "live"), tmp_path / "instance")
    prepare_database(env)
    with running_server(env, tmp_path / "server.log") as server:
        ws = open_websocket(server)
        try:
            assert ws.recv().startswith("0{")  # Engine.IO's open packet
            ws.ping(b"still there")
            opcode, frame = ws.recv_data_frame(control_frame=True)
            assert (opcode, frame.data) == (websocket.ABNF.OPCODE_PONG, b"still there")
            ws.send("40/staff,")  # join the staff namespace without logging in: refused
            assert ws.recv().startswith("44/staff,")
            ws.send("")  # not an Engine.IO packet: the server hangs up, without a traceback
            assert hung_up(ws)
        finally:
            ws.shutdown()
        assert "Traceback" not in server.log()
        ws = open_websocket(server)
        try:
            assert ws.recv().startswith("0{")
            ws.send_close()
            opcode, _frame = ws.recv_data_frame(control_frame=True)
            assert opcode == websocket.ABNF.OPCODE_CLOSE
            # hung up: an end of stream, or a reset when the writer's last packet was unread
            with pytest.raises((websocket.WebSocketConnectionClosedException,
                                ConnectionResetError)):
                ws.recv()
        finally:
            ws.shutdown()  # the client's socket, closed whatever state the test left


def test_a_staff_socket_upgraded_from_polling_gets_its_events_over_the_websocket(tmp_path):
    """As the staff page's client connects: long-polling first, then the upgrade (the probe,
    the poll it ends, the packets sent meanwhile) to the websocket, where every packet is
    written by the greenlet that sends it (app/realtime/websocket.py, DirectWriter)."""
    env = server_env(served_database(tmp_path, "live"), tmp_path / "instance")
    prepare_database(env)
    spots = demo_spots()
    with running_server(env, tmp_path / "server.log") as server:
        client = staff_socket(server, ["polling", "websocket"])
        try:
            deadline = time.monotonic() + 10
            while client.client.transport() != "websocket" and time.monotonic() < deadline:
                time.sleep(0.05)
            assert client.client.transport() == "websocket"
            for n, text in enumerate(("长椅坏了", "路灯不亮")):
                report(server, spots[n], "facilities", text)
                name, payload = client.receive(timeout=5)
                assert (name, payload["excerpt"]) == ("feedback.created", text)
        finally:
            client.disconnect()


def test_an_upgrade_without_the_probe_fails_and_long_polling_goes_on(tmp_path):
    """Engine.IO's upgrade wants a ping "probe" first (app/realtime/websocket.py, _probe):
    anything else ends the websocket, and the session stays on long-polling."""
    env = server_env(served_database(tmp_path, "live"), tmp_path / "instance")
    prepare_database(env)
    with running_server(env, tmp_path / "server.log") as server:
        polling = f"{server.url}/socket.io/?EIO=4&transport=polling"
        opened = requests.get(polling, timeout=10)
        sid = json.loads(opened.text[1:])["sid"]
        for first in ("3probe", ""):  # a pong, not the ping "probe"; not a packet at all
            ws = open_websocket(server, f"&sid={sid}")
            try:
                ws.send(first)
                assert hung_up(ws)  # no "3probe" answer
            finally:
                ws.shutdown()
        assert "Traceback" not in server.log()
        cookies = opened.cookies
        sent = requests.post(f"{polling}&sid={sid}", data="40/staff,", cookies=cookies,
                             timeout=10)
        assert sent.status_code == 200
        answer = requests.get(f"{polling}&sid={sid}", cookies=cookies, timeout=10)
        assert answer.text.startswith("44/staff,")  # not logged in: refused, on polling


def test_the_server_answers_while_posters_render(tmp_path):
    """WeasyPrint computes for seconds; in the gevent worker it must not stop the process."""
    env = server_env(served_database(tmp_path, "posters"), tmp_path / "instance")
    prepare_database(env)
    with running_server(env, tmp_path / "server.log") as server:
        director = requests.Session()
        token = CSRF.search(director.get(f"{server.url}/staff/login").text).group(1)
        director.post(f"{server.url}/staff/login", data={
            "email": "director@ritan.demo", "password": "demo12345", "csrf_token": token})
        finished: dict[str, float] = {}

        def download() -> None:
            response = director.get(
                f"{server.url}/admin/parks/1/posters.pdf?layout=a4&allow_local=1", timeout=120)
            finished["posters"] = time.monotonic()
            finished["status"] = response.status_code
            finished["pdf"] = response.content.startswith(b"%PDF")

        worker = threading.Thread(target=download)
        worker.start()
        # wait until the render is under way (the service logs when it starts)
        deadline = time.monotonic() + 30
        while "rendering posters" not in server.log() and time.monotonic() < deadline:
            time.sleep(0.02)
        health = requests.get(f"{server.url}/healthz", timeout=30)
        answered = time.monotonic()
        worker.join(timeout=120)
    assert health.status_code == 200
    assert (finished["status"], finished["pdf"]) == (200, True)
    assert answered < finished["posters"]  # answered while the posters were still rendering
