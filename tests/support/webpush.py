"""A local Web Push service for the tests, and a browser's side of a subscription.

The service does what a real one does before it takes a message: it verifies the VAPID
token (RFC 8292: an ES256 JWT signed by the key in `k`, for its own origin, expiring
within 24 hours) and refuses a request without TTL or the aes128gcm encoding. `Phone`
holds a subscription's private key, as the browser does, and decrypts a body as RFC 8291
says, with http_ece.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tests.support.http_standin import StandInServer


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Phone:
    """A browser's push subscription: its keys stay here, as they stay in the browser."""

    endpoint: str
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def to_json(self) -> dict[str, Any]:
        point = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                   serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)}}

    def decrypt(self, body: bytes) -> dict[str, Any]:
        plain = http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth,
                                 version="aes128gcm")
        return json.loads(plain)


@dataclass
class Pushed:
    path: str
    headers: dict[str, str]
    body: bytes
    claims: dict[str, Any]
    vapid_key: str
    at: float = field(default_factory=time.time)  # when it arrived (epoch seconds)


def verify_vapid(authorization: str, origin: str) -> tuple[dict[str, Any], str]:
    """RFC 8292 as a push service checks it: (claims, k) or AssertionError."""
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid", authorization
    parts = dict(part.strip().split("=", 1) for part in params.split(","))
    token, k = parts["t"], parts["k"]
    header_b64, claims_b64, signature_b64 = token.split(".")
    header = json.loads(unb64url(header_b64))
    assert header == {"typ": "JWT", "alg": "ES256"}
    signature = unb64url(signature_b64)
    assert len(signature) == 64  # JWS ES256: r || s, 32 bytes each
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(k))
    try:
        public.verify(encode_dss_signature(int.from_bytes(signature[:32], "big"),
                                           int.from_bytes(signature[32:], "big")),
                      f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise AssertionError("VAPID signature does not verify") from None
    claims = json.loads(unb64url(claims_b64))
    assert claims["aud"] == origin
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    return claims, k


@dataclass
class PushService:
    """A local push service: 201 for each verified message, or the statuses queued; each
    answer after `hold` seconds, counting the requests it holds at once."""

    port: int = 0
    received: list[Pushed] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    hold: float = 0.0
    in_flight: int = 0
    most_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def phone(self, name: str) -> Phone:
        return Phone(f"{self.origin}/push/{name}")

    def for_phone(self, phone: Phone) -> list[Pushed]:
        return [p for p in self.received if self.origin + p.path == phone.endpoint]


@contextmanager
def running_push_service() -> Iterator[PushService]:
    service = PushService()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {key.lower(): value for key, value in self.headers.items()}
            try:
                claims, k = verify_vapid(headers.get("authorization", ""), service.origin)
                assert int(headers["ttl"]) >= 0
                assert headers["content-encoding"] == "aes128gcm"
            except (AssertionError, KeyError, ValueError) as error:
                self.send_response(401 if "authorization" in str(error) else 400)
                self.end_headers()
                self.wfile.write(str(error).encode())
                return
            with service.lock:
                service.in_flight += 1
                service.most_in_flight = max(service.most_in_flight, service.in_flight)
                status = service.answers.pop(0) if service.answers else 201
            time.sleep(service.hold)
            with service.lock:
                service.in_flight -= 1
                if status == 201:
                    service.received.append(Pushed(self.path, headers, body, claims, k))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = StandInServer(("127.0.0.1", 0), Handler)
    service.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield service
    server.shutdown()
    server.server_close()
