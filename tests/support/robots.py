"""Local stand-ins for the group robots and webhooks alerts go to: WeCom, DingTalk and Feishu
custom robots and a Standard Webhooks receiver, on one loopback port.

Each checks what its vendor documents: the body's shape and, for DingTalk ("加签") and
Feishu, the signature; the webhook receiver verifies the Standard Webhooks signature with
the `standardwebhooks` package. A request with a wrong signature is refused as the vendor
refuses it. Every request is kept with the moment it arrived (the alerts benchmark times
deliveries with it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.support.http_standin import StandInServer

DINGTALK_SECRET = "SEC" + "d1" * 30
FEISHU_SECRET = "feishu-secret-0123456789"  # noqa: S105 - the stand-in's
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
HOUR_MS = 3600 * 1000


@dataclass
class Received:
    vendor: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: dict[str, Any]
    accepted: bool
    at: float = field(default_factory=time.time)  # when it arrived (epoch seconds)


@dataclass
class StandIn:
    """WeCom, DingTalk, Feishu and a Standard Webhooks receiver on one local port."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    webhook_secret: str = WEBHOOK_SECRET  # the receiver's copy of the channel's secret

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def accepted(self, vendor: str) -> list[Received]:
        return [r for r in self.received if r.vendor == vendor and r.accepted]


def _dingtalk(query: dict[str, list[str]], body: dict[str, Any]) -> dict[str, Any]:
    # the robot's "加签": sign = urlencode(base64(HmacSHA256(secret, timestamp + "\n" + secret)))
    timestamp = query.get("timestamp", [""])[0]
    sign = query.get("sign", [""])[0]  # parse_qs has url-decoded it
    if not timestamp.isdigit() or abs(time.time() * 1000 - int(timestamp)) > HOUR_MS:
        return {"errcode": 310000, "errmsg": "timestamp is not within one hour"}
    expected = base64.b64encode(hmac.new(DINGTALK_SECRET.encode(),
                                         f"{timestamp}\n{DINGTALK_SECRET}".encode(),
                                         hashlib.sha256).digest()).decode()
    if not hmac.compare_digest(sign, expected):
        return {"errcode": 310000, "errmsg": "sign not match"}
    markdown = body.get("markdown") or {}
    if body.get("msgtype") != "markdown" or not markdown.get("title") or not markdown.get("text"):
        return {"errcode": 40035, "errmsg": "missing parameter"}
    return {"errcode": 0, "errmsg": "ok"}


def _feishu(body: dict[str, Any]) -> dict[str, Any]:
    # the signature check: base64(HmacSHA256(key = timestamp + "\n" + secret, message = ""))
    timestamp = str(body.get("timestamp", ""))
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 3600:
        return {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}
    expected = base64.b64encode(hmac.new(f"{timestamp}\n{FEISHU_SECRET}".encode(), b"",
                                         hashlib.sha256).digest()).decode()
    if not hmac.compare_digest(str(body.get("sign", "")), expected):
        return {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}
    if body.get("msg_type") != "text" or not (body.get("content") or {}).get("text"):
        return {"code": 9499, "msg": "Bad Request"}
    return {"code": 0, "msg": "success", "data": {}}


def _wecom(body: dict[str, Any]) -> dict[str, Any]:
    kind = body.get("msgtype")
    content = (body.get(kind) or {}).get("content") if kind in ("text", "markdown") else None
    limit = 4096 if kind == "markdown" else 2048
    if not content or len(content.encode()) > limit:
        return {"errcode": 40008, "errmsg": "invalid message type"}
    return {"errcode": 0, "errmsg": "ok"}


@contextmanager
def running_robot_stand_in() -> Iterator[StandIn]:
    state = StandIn()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            parts = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(parts.query)
            headers = {k.lower(): v for k, v in self.headers.items()}
            body = json.loads(raw) if headers.get("content-type", "").startswith(
                "application/json") else {}
            status, answer = 200, {}
            if parts.path == "/cgi-bin/webhook/send" and query.get("key"):
                vendor, answer = "wecom", _wecom(body)
            elif parts.path == "/robot/send" and query.get("access_token"):
                vendor, answer = "dingtalk", _dingtalk(query, body)
            elif parts.path.startswith("/open-apis/bot/v2/hook/"):
                vendor, answer = "feishu", _feishu(body)
            else:
                vendor = "webhook"
                try:
                    Webhook(state.webhook_secret).verify(raw, headers)
                except WebhookVerificationError:
                    status = 401
                else:
                    status = 204
            accepted = status < 300 and not answer.get("errcode") and not answer.get("code")
            state.received.append(Received(vendor, parts.path, query, headers, body, accepted))
            data = json.dumps(answer).encode() if status != 204 else b""
            self.send_response(status)
            if data:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = StandInServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
