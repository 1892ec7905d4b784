"""The production server stack (gunicorn + gevent + Socket.IO) serves the whole loop."""

from __future__ import annotations

import re
import threading
import time

import pytest
import requests
import socketio

from tests.support.servers import (
    demo_spots,
    prepare_database,
    running_server,
    served_database,
    server_env,
)

pytestmark = pytest.mark.server

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def test_served_app_delivers_a_new_case_to_a_real_socket_client(tmp_path):
    env = server_env(served_database(tmp_path, "live"), tmp_path / "instance")
    prepare_database(env)
    spots = demo_spots()
    with running_server(env, tmp_path / "server.log") as server:
        staff = requests.Session()
        token = CSRF.search(staff.get(f"{server.url}/staff/login").text).group(1)
        staff.post(f"{server.url}/staff/login", data={
            "email": "director@ritan.demo", "password": "demo12345", "csrf_token": token})
        client = socketio.SimpleClient()
        client.connect(server.url, namespace="/staff", transports=["websocket"],
                       headers={"Cookie": f"session={staff.cookies['session']}"})
        try:
            visitor = requests.Session()
            form_url = f"{server.url}/q/{spots[0]['code']}"
            token = CSRF.search(visitor.get(form_url).text).group(1)
            response = visitor.post(form_url, allow_redirects=False, data={
                "category": "noise", "body": "广场舞音响太响", "csrf_token": token})
            assert response.status_code == 303
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
