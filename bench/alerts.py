"""`python -m bench.alerts`: how fast a new case's alerts leave the server and reach each
staff phone (Web Push), the unit's group webhook and, by the escalation ladder, on-call
staff's mobiles (SMS), against the socket delivery of the same case in the same run.

One served process (gunicorn, deploy/gunicorn.conf.py, SQLite, its job loop on) and local
stand-ins: the push service of tests/support/webpush.py (checks the VAPID token; each
message is decrypted here with the phone's key), the Standard Webhooks receiver of
tests/support/robots.py (checks the signature) and an SMS gateway (bench/alert_sms.py posts
each text to it). One unit per staff count (`--staff 1,30`): that many holders of the
urgent category's role, each with a phone subscribed to push and SMS on call; one webhook
channel; the ladder's SMS after its minimum, 1 minute. Visitors report `--cases` cases per
unit through the form, one every `--gap` seconds, each at its own spot (no "me too"); the
units one after the other, each unit's alerts alone in the outboxes.

Figures (bench/README.md): per unit, latency from sending the visitor's POST to receipt
(p50/p99/max) and lost deliveries, for the staff socket (the baseline), the pushes and the
webhook; for SMS, how late the text came after the step was due (POST + the ladder's
minutes). Results go to bench/results/alerts-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app import create_app
from app.config import Config
from app.database import write_transaction
from app.extensions import db
from app.models import (
    AlertChannel,
    Case,
    Category,
    Membership,
    Park,
    PushSubscription,
    Spot,
    StaffUser,
    Unit,
)
from app.security import new_spot_code
from app.services.accounts.staff import hash_password
from app.services.notify.ladder import BATCH as LADDER_BATCH
from app.services.notify.ladder import MIN_MINUTES
from bench.loadgen import StaffSocket, listen, log_in, new_http, open_form, open_socket, send_form
from bench.run import BENCH_SETTINGS, RESULTS, SECRET, flask, server
from tests.support.http_standin import StandInServer
from tests.support.robots import WEBHOOK_SECRET, StandIn, running_robot_stand_in
from tests.support.webpush import Phone, PushService, running_push_service

PASSWORD = "bench-password-0123"  # noqa: S105 - a throwaway bench database only
SMS_MINUTES = MIN_MINUTES  # the ladder's minimum: 1 minute
LADDER_SECONDS = 30  # ladder.tick's period (services.platform.schedule)
JOB_TICKS = "push.send every 5 s, alerts.send every 10 s, ladder.tick every 30 s"


# --- the SMS gateway stand-in ------------------------------------------------------------

@dataclass
class Texted:
    phone: str
    text: str
    at: float = field(default_factory=time.time)


@dataclass
class SmsGateway:
    port: int = 0
    received: list[Texted] = field(default_factory=list)


@contextmanager
def running_sms_gateway() -> Iterator[SmsGateway]:
    gateway = SmsGateway()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            gateway.received.append(Texted(body["phone"], body["text"]))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    http = StandInServer(("127.0.0.1", 0), Handler)
    gateway.port = http.server_address[1]
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        http.shutdown()
        http.server_close()
        thread.join(timeout=5)


# --- the units ------------------------------------------------------------------------------

@dataclass
class BenchUnit:
    staff: int
    code: str
    spots: list[str]
    login: str
    phones: dict[str, Phone]  # by the push service's path
    hook_path: str


def seed_unit(staff: int, cases: int, push: PushService, robots: StandIn,
              password_hash: str) -> BenchUnit:
    """A unit with `staff` holders of an urgent category's role, each with a subscribed
    phone, a mobile, SMS on and on call; a webhook channel; a spot per case."""
    code = f"A{staff:03d}"
    phones = {f"/push/{code}-{n}": push.phone(f"{code}-{n}") for n in range(staff)}
    with write_transaction() as session:
        unit = Unit(code=code, name_zh=f"提醒测试 {staff}", name_en=f"Alerts bench {staff}",
                    ladder_sms_minutes=SMS_MINUTES)
        unit.categories.append(Category(code="noise", name_zh="噪音", name_en="Noise",
                                        icon="🔊", role="security", sort_order=0, urgent=True))
        park = Park(name_zh=f"提醒测试公园 {staff}", name_en=f"Alerts park {staff}")
        park.spots.extend(Spot(code=new_spot_code(), name_zh=f"第{n}处", name_en=f"Spot {n}")
                          for n in range(cases))
        unit.parks.append(park)
        session.add(unit)
        session.flush()
        for number, phone in enumerate(phones.values()):
            user = StaffUser(email=f"guard{number}@{code.lower()}.bench", name=f"guard {number}",
                             password_hash=password_hash, alert_sms=True, on_call=True,
                             mobile=f"+86139{staff:03d}{number:05d}")
            user.memberships.append(Membership(unit_id=unit.id, role="security"))
            keys = phone.to_json()["keys"]
            session.add(user)
            session.flush()
            session.add(PushSubscription(user_id=user.id, endpoint=phone.endpoint,
                                         p256dh=keys["p256dh"], auth=keys["auth"]))
        hook_path = f"/hooks/{code}"
        session.add(AlertChannel(unit_id=unit.id, kind="webhook", url=robots.base + hook_path,
                                 secret=WEBHOOK_SECRET, events="feedback.created"))
        spots = [spot.code for spot in park.spots]
    return BenchUnit(staff, code, spots, f"guard0@{code.lower()}.bench", phones, hook_path)


# --- the run --------------------------------------------------------------------------------

@dataclass
class Sent:
    unit: BenchUnit
    number: int
    at: float


@dataclass
class Phase:
    """One unit's cases: when each was sent, when its socket heard of each."""

    sent: dict[int, Sent] = field(default_factory=dict)
    socket_got: dict[tuple[str, int], float] = field(default_factory=dict)
    refused: int = 0


async def submit_cases(url: str, unit: BenchUnit, cases: int, gap: float, run: str,
                       first: int) -> Phase:
    """The unit's first guard on a socket; then its visitors, one every `gap` seconds,
    numbered from `first`."""
    phase = Phase()
    async with new_http() as http:
        socket = StaffSocket(park=0)
        await open_socket(http, url, await log_in(http, url, unit.login, PASSWORD), socket)

        def on_event(_socket: StaffSocket, name: str, payload: dict[str, Any]) -> None:
            words = str(payload.get("excerpt", "")).split()
            if name == "feedback.created" and words[:2] == ["bench", run]:
                phase.socket_got.setdefault((unit.code, int(words[2])), time.time())

        listening = asyncio.create_task(listen(socket, on_event))
        for index in range(cases):
            number = first + index
            opened = await open_form(http, url, unit.spots[index])
            started = time.time()
            if opened is None or not await send_form(http, url, unit.spots[index], opened,
                                                     f"bench {run} {number}"):
                phase.refused += 1
            else:
                phase.sent[number] = Sent(unit, number, started)
            await asyncio.sleep(gap)
        await asyncio.sleep(5)  # the last events on the socket
        listening.cancel()
    return phase


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else \
            float("nan")

    return {"p50": at(0.50), "p99": at(0.99), "max": ordered[-1] if ordered else float("nan"),
            "n": len(ordered)}


def case_numbers(run: str) -> tuple[dict[int, int], dict[str, int]]:
    """Each bench case's number by its id and by its reference."""
    rows = db.session.execute(select(Case.id, Case.reference, Case.body)).all()
    by_id, by_reference = {}, {}
    for case_id, reference, body in rows:
        words = body.split()
        if words[:2] == ["bench", run]:
            by_id[case_id], by_reference[reference] = int(words[2]), int(words[2])
    return by_id, by_reference


@dataclass
class Collected:
    push: dict[tuple[str, int], float] = field(default_factory=dict)  # (path, number)
    hook: dict[tuple[str, int], float] = field(default_factory=dict)
    sms: dict[tuple[str, int], float] = field(default_factory=dict)
    duplicates: int = 0

    def keep(self, kind: dict[tuple[str, int], float], key: tuple[str, int], at: float) -> None:
        if key in kind:
            self.duplicates += 1
        else:
            kind[key] = at


def collect(push: PushService, robots: StandIn, gateway: SmsGateway, units: list[BenchUnit],
            run: str) -> Collected:
    by_id, by_reference = case_numbers(run)
    phones = {path: phone for unit in units for path, phone in unit.phones.items()}
    got = Collected()
    for pushed in list(push.received):
        payload = phones[pushed.path].decrypt(pushed.body)
        if payload.get("case_id") in by_id:
            got.keep(got.push, (pushed.path, by_id[payload["case_id"]]), pushed.at)
    for hooked in robots.accepted("webhook"):
        case_id = hooked.body.get("data", {}).get("case_id")
        if case_id in by_id:
            got.keep(got.hook, (hooked.path, by_id[case_id]), hooked.at)
    for texted in list(gateway.received):
        match = re.search(r"[A-Z0-9]+-\d{4}-\d+", texted.text)
        if match and match.group(0) in by_reference:
            got.keep(got.sms, (texted.phone, by_reference[match.group(0)]), texted.at)
    return got


def expected_counts(sent: dict[int, Sent]) -> dict[str, int]:
    return {"push": sum(s.unit.staff for s in sent.values()), "hook": len(sent),
            "sms": sum(s.unit.staff for s in sent.values())}


def unit_figures(unit: BenchUnit, sent: dict[int, Sent], socket_got: dict[tuple[str, int], float],
                 got: Collected) -> dict[str, Any]:
    mine = {n: s for n, s in sent.items() if s.unit is unit}
    sms_delay = SMS_MINUTES * 60
    socket = [(socket_got[(unit.code, n)] - s.at) * 1000 for n, s in mine.items()
              if (unit.code, n) in socket_got]
    push = [(at - mine[n].at) * 1000 for (path, n), at in got.push.items()
            if path in unit.phones and n in mine]
    hook = [(at - mine[n].at) * 1000 for (path, n), at in got.hook.items()
            if path == unit.hook_path and n in mine]
    mobiles = {f"+86139{unit.staff:03d}{k:05d}" for k in range(unit.staff)}
    sms = [(at - mine[n].at - sms_delay) * 1000 for (phone, n), at in got.sms.items()
           if phone in mobiles and n in mine]
    figures = {"staff": unit.staff, "cases": len(mine),
               "socket_ms": percentiles(socket), "push_ms": percentiles(push),
               "webhook_ms": percentiles(hook), "sms_late_ms": percentiles(sms),
               "lost": {"socket": len(mine) - len(socket),
                        "push": len(mine) * unit.staff - len(push),
                        "webhook": len(mine) - len(hook),
                        "sms": len(mine) * unit.staff - len(sms)}}
    base = figures["socket_ms"]["p50"]
    figures["push_p50_to_socket_p50"] = figures["push_ms"]["p50"] / base if base else None
    figures["webhook_p50_to_socket_p50"] = figures["webhook_ms"]["p50"] / base if base else None
    return figures


def wait_for(got_count: Any, expected: int, deadline: float) -> None:
    while got_count() < expected and time.monotonic() < deadline:
        time.sleep(1)


def run_phase(url: str, unit: BenchUnit, args: argparse.Namespace, run: str, first: int,
              push: PushService, robots: StandIn, gateway: SmsGateway) -> Phase:
    """Send the unit's cases, then wait for their pushes, webhooks and SMS."""
    before = {"push": len(push.received), "hook": len(robots.accepted("webhook")),
              "sms": len(gateway.received)}
    print(f"== {unit.staff} staff: {args.cases} cases, one every {args.gap} s", flush=True)
    phase = asyncio.run(submit_cases(url, unit, args.cases, args.gap, run, first))
    expected = expected_counts(phase.sent)
    print(f"== {unit.staff} staff: waiting for {expected['push']} pushes, {expected['hook']} "
          f"webhooks, {expected['sms']} SMS (the ladder's, due after {SMS_MINUTES} min)",
          flush=True)
    wait_for(lambda: len(push.received) - before["push"]
             + len(robots.accepted("webhook")) - before["hook"],
             expected["push"] + expected["hook"], time.monotonic() + args.grace)
    last = max((s.at for s in phase.sent.values()), default=time.time())
    # the ladder texts at most BATCH a round: a burst waits that many rounds more
    rounds = 1 + -(-expected["sms"] // LADDER_BATCH)
    wait_for(lambda: len(gateway.received) - before["sms"], expected["sms"],
             time.monotonic() + max(last + SMS_MINUTES * 60 - time.time(), 0)
             + rounds * LADDER_SECONDS + args.grace)
    return phase


def table(results: list[dict[str, Any]]) -> str:
    head = ("staff", "cases", "socket p50/p99 ms", "push p50/p99 ms", "ratio",
            "webhook p50/p99 ms", "ratio", "SMS late p50/p99 ms", "lost s/p/w/sms")
    rows = [head]
    for result in results:
        def pair(name: str, figures: dict[str, Any] = result) -> str:
            return f"{figures[name]['p50']:.0f} / {figures[name]['p99']:.0f}"

        lost = result["lost"]
        ratio = result["push_p50_to_socket_p50"]
        hook_ratio = result["webhook_p50_to_socket_p50"]
        rows.append((str(result["staff"]), str(result["cases"]), pair("socket_ms"),
                     pair("push_ms"), f"{ratio:.0f}x" if ratio else "-",
                     pair("webhook_ms"), f"{hook_ratio:.0f}x" if hook_ratio else "-",
                     pair("sms_late_ms"),
                     f"{lost['socket']}/{lost['push']}/{lost['webhook']}/{lost['sms']}"))
    widths = [max(len(row[n]) for row in rows) for n in range(len(head))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True))
             for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    lines.append(f"latency from the visitor's POST; ratio: p50 against the socket's p50 for the "
                 f"same cases; SMS: lateness after the ladder's step is due (POST + "
                 f"{SMS_MINUTES} min); jobs: {JOB_TICKS}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--staff", default="1,30", help="staff per unit, one unit each")
    parser.add_argument("--cases", type=int, default=12, help="cases per unit (at most 20: "
                        "a channel takes 20 a minute)")
    parser.add_argument("--gap", type=float, default=0.5, help="seconds between cases")
    parser.add_argument("--grace", type=float, default=30.0,
                        help="seconds to wait for deliveries after each is due")
    args = parser.parse_args()
    counts = [int(n) for n in args.staff.split(",")]
    work = Path(tempfile.mkdtemp(prefix="parkmailbox-alerts-bench-"))
    run = uuid.uuid4().hex[:6]
    with ExitStack() as stack:
        push = stack.enter_context(running_push_service())
        robots = stack.enter_context(running_robot_stand_in())
        gateway = stack.enter_context(running_sms_gateway())
        database = f"sqlite:///{work / 'alerts.db'}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
        env.update({"APP_ENV": "development", "SECRET_KEY": SECRET, **BENCH_SETTINGS,
                    "RUN_JOBS": "1", "OUTBOUND_ALLOW_PRIVATE": "1",
                    "VAPID_SUBJECT": "mailto:bench@parks.example.org",
                    "SMS_SENDER": "bench.alert_sms:HttpSmsSender",
                    "BENCH_SMS_URL": f"http://127.0.0.1:{gateway.port}/sms",
                    "DATABASE_URL": database, "INSTANCE_PATH": str(work / "instance")})
        flask(env, "db", "upgrade")
        app = create_app(Config, SQLALCHEMY_DATABASE_URI=database, SECRET_KEY=SECRET)
        with app.app_context():
            password_hash = hash_password(PASSWORD)
            units = [seed_unit(n, args.cases, push, robots, password_hash) for n in counts]
            db.session.remove()
        served = stack.enter_context(server(env, work / "server.log"))
        sent: dict[int, Sent] = {}
        socket_got: dict[tuple[str, int], float] = {}
        refused = 0
        for unit in units:  # one after the other: each unit's alerts alone in the outboxes
            phase = run_phase(served.url, unit, args, run, len(sent) + refused,
                              push, robots, gateway)
            sent.update(phase.sent)
            socket_got.update(phase.socket_got)
            refused += phase.refused
        with app.app_context():
            got = collect(push, robots, gateway, units, run)
            db.session.remove()
    results = [unit_figures(unit, sent, socket_got, got) for unit in units]
    report = {"when": datetime.now(UTC).isoformat(timespec="seconds"),
              "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg()},
              "settings": {**vars(args), "sms_minutes": SMS_MINUTES, "jobs": JOB_TICKS},
              "refused_submissions": refused, "duplicates": got.duplicates,
              "results": results}
    print(table(results))
    print(f"refused submissions: {refused}, duplicate deliveries: {got.duplicates}, "
          f"load average: {os.getloadavg()[0]:.1f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"alerts-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(report, indent=2))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
