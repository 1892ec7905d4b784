"""Engine.IO's pings come from one task of the server's, each socket in its turn
(app/realtime/websocket.py, `PingWheel`), not from a task per socket.

A real Engine.IO server (threading mode: its tasks are threads, which can be counted) with a
short ping interval, and clients on its polling transport, which shows every packet sent.
"""

from __future__ import annotations

import json
import threading
import time

import engineio
from flask import Flask
from werkzeug.test import Client

from app.realtime.websocket import lighten_idle_sockets

INTERVAL = 0.3


def open_socket(client: Client) -> str:
    answer = client.get("/engine.io/?EIO=4&transport=polling").get_data(as_text=True)
    assert answer.startswith("0")  # the open packet
    return str(json.loads(answer[1:])["sid"])


def poll(client: Client, sid: str) -> str:
    return client.get(f"/engine.io/?EIO=4&transport=polling&sid={sid}").get_data(as_text=True)


def tasks(named: str) -> int:
    return sum(1 for thread in threading.enumerate() if f"({named})" in thread.name)


def test_one_task_pings_every_socket_after_the_interval_and_again_after_each_pong() -> None:
    server = engineio.Server(async_mode="threading", ping_interval=INTERVAL, ping_timeout=5)
    lighten_idle_sockets(Flask(__name__), server)  # the app: only gevent mode wraps it
    client = Client(engineio.WSGIApp(server))
    before = tasks("_run")
    opened = time.monotonic()
    sids = [open_socket(client) for _ in range(3)]
    assert tasks("_run") == before + 1  # the wheel, waiting for the first socket's turn
    assert tasks("_send_ping") == 0  # Engine.IO's own task per socket
    for sid in sids:
        assert poll(client, sid) == "2"  # a ping, once its interval has passed
    assert time.monotonic() - opened >= INTERVAL
    for sid in sids:  # each answers: its next ping comes an interval after the pong
        client.post(f"/engine.io/?EIO=4&transport=polling&sid={sid}", data="3")
    answered = time.monotonic()
    assert [poll(client, sid) for sid in sids] == ["2", "2", "2"]
    assert time.monotonic() - answered >= INTERVAL
    assert tasks("_send_ping") == 0
    for sid in sids:
        client.post(f"/engine.io/?EIO=4&transport=polling&sid={sid}", data="1")  # close
    server.shutdown()
