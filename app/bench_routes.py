"""Endpoints for `make bench` only (BENCH_HELLO=1), never in production: the baselines the
served app's figures are measured against in the same run (bench/README.md).

- `GET /bench/hello`: the same server stack doing no work.
- `POST /bench/floor/<code>`: the durable floor, the least any design must do for a
  visitor's report on this stack: parse the visitor form's multipart body, check its CSRF
  token (the app-wide check, before the view), insert the case row and its event row in
  one write transaction at the app's durability (`synchronous=FULL` on SQLite; the
  event-order lock on PostgreSQL), and emit the event to the park's room after the commit.
  No bot traps, validation, routing, deadlines, "me too", outbox, rollups or audit: what
  the real submission adds on top is the cost the ratio post/floor measures.
"""

from __future__ import annotations

import secrets

from flask import Flask, abort, redirect, request
from flask.typing import ResponseReturnValue
from sqlalchemy import insert

from app.database import write_transaction
from app.models import Case, Event, Status
from app.models.types import utcnow
from app.realtime import park_room
from app.realtime.publish import emit_event, lock_event_order, next_event_id
from app.services.spots.cache import form_spot


def register_bench_routes(app: Flask) -> None:
    """Add the bench endpoints (only called with BENCH_HELLO=1)."""

    @app.get("/bench/hello")
    def bench_hello() -> ResponseReturnValue:
        return "hello"

    @app.post("/bench/floor/<code>")
    def bench_floor(code: str) -> ResponseReturnValue:
        # the CSRF token was checked before the view, by the app-wide check every form's
        # POST goes through; that parsed the multipart body (request.form, request.files)
        form = request.form
        spot = form_spot(code)
        if spot is None or not spot.categories:
            abort(404)
        now = utcnow()
        with write_transaction() as session:
            lock_event_order(session)
            reference = "FLOOR-" + secrets.token_hex(8)
            case_id = session.scalar(insert(Case).values(
                reference=reference, token_hash=secrets.token_hex(32), unit_id=spot.unit_id,
                park_id=spot.park.id, spot_id=spot.id, category_id=spot.categories[0].id,
                body=form.get("body", ""), status=Status.NEW.value, created_at=now,
                updated_at=now).returning(Case.id))
            message = {"reference": reference, "event_id": next_event_id(session),
                       "kind": "feedback.created", "unit_id": spot.unit_id,
                       "park_id": spot.park.id, "case_id": case_id, "at": now.isoformat()}
            session.execute(insert(Event).values(
                id=message["event_id"], kind="feedback.created", unit_id=spot.unit_id,
                park_id=spot.park.id, case_id=case_id, payload={"reference": reference},
                created_at=now))
        emit_event("feedback.created", message, park_room(spot.park.id))
        return redirect(f"/bench/floor/{code}", code=303)
