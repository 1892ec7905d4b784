"""CSRF tokens that differ in every response, so that compressing pages cannot leak them.

BREACH: an attacker who can put text into a page (a visitor's message shows in the staff
inbox) and watch the size of its compressed answers can read a secret that the page
repeats, one character at a time. Pages are compressed (Flask-Compress, and a proxy may
gzip too). Flask-WTF signs the session's raw token with a timestamp: the signature
changes each second, but the signed payload, the raw token in base64, is the same in
every page of a session, and two pages in the same second carry the very same token.

Here the payload is a fresh random pad followed by the raw token XOR that pad (as Django
masks its tokens): every response carries a different token, unrelated to any other
response's, and each still unmasks to the session's raw token, so a form stays valid
whichever page it came from. Compression stays on: it matters on a slow phone network.
"""

from __future__ import annotations

import secrets
from typing import Any

import flask_wtf.csrf
from itsdangerous import BadPayload, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.serializer import Serializer


def mask_token(raw: str) -> str:
    """The raw token hidden under a new random pad: pad and XOR, in hex."""
    data = raw.encode()
    pad = secrets.token_bytes(len(data))
    return (pad + bytes(a ^ b for a, b in zip(pad, data, strict=True))).hex()


def unmask_token(masked: str) -> str:
    """The raw token behind a masked one (BadPayload when it is not one of ours)."""
    try:
        data = bytes.fromhex(masked)
    except (TypeError, ValueError) as error:
        raise BadPayload("not a masked CSRF token") from error
    half = len(data) // 2
    if not data or len(data) % 2:
        raise BadPayload("not a masked CSRF token")
    pad, hidden = data[:half], data[half:]
    try:
        return bytes(a ^ b for a, b in zip(pad, hidden, strict=True)).decode()
    except UnicodeDecodeError as error:
        raise BadPayload("not a masked CSRF token") from error


class MaskedTokenSerializer(URLSafeTimedSerializer):
    """Flask-WTF's signed token, with the raw token masked anew in each signed payload."""

    def dump_payload(self, obj: Any) -> bytes:
        if not isinstance(obj, str):
            # what Flask-WTF expects from a session value it cannot sign: it makes a new one
            raise TypeError("a CSRF token is a string")
        # base64 without the zlib step of URLSafeSerializer: compressed, every token would
        # start with much the same Huffman tables (load_payload reads both forms)
        return base64_encode(Serializer.dump_payload(self, mask_token(obj)))

    def load_payload(self, payload: bytes, *args: Any, **kwargs: Any) -> Any:
        masked = super().load_payload(payload, *args, **kwargs)
        if not isinstance(masked, str):
            raise BadPayload("not a masked CSRF token")
        return unmask_token(masked)


def mask_csrf_tokens() -> None:
    """Make Flask-WTF sign and check every CSRF token through MaskedTokenSerializer.

    Flask-WTF builds its serializer from this module attribute each time it makes or
    checks a token (the `csrf_token()` template global, form fields, CSRFProtect), so one
    assignment covers them all; tests/test_csrf_masking.py fails if that ever changes.
    """
    flask_wtf.csrf.URLSafeTimedSerializer = MaskedTokenSerializer
