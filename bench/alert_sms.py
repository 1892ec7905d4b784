"""An SMS sender for the alerts benchmark only: hands each text to a local stand-in gateway
(BENCH_SMS_URL) over HTTP, as a real gateway's client would, so the benchmark can time it.

Named by SMS_SENDER=bench.alert_sms:HttpSmsSender in the bench server's environment; never
in production (the default sender keeps an outbox table).
"""

from __future__ import annotations

import json
import os
import urllib.request


class HttpSmsSender:
    """POST {"phone", "text"} to the stand-in; raises on failure (the ladder retries)."""

    def send(self, phone: str, text: str, notification_id: int | None) -> None:
        request = urllib.request.Request(  # noqa: S310 - the bench's own loopback stand-in
            os.environ["BENCH_SMS_URL"], method="POST",
            data=json.dumps({"phone": phone, "text": text}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - as above
            answer.read()
