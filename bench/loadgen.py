"""The load generator of `make bench`: a separate process of asyncio clients (aiohttp).

Phases, each printing one JSON object on stdout:
  http     --kind hello|floor|post|submit, flat out for some seconds: hello; floor, the
           durable floor (the form sent to /bench/floor/<code>: the least a design must do);
           post, the submission alone (each client opens its form once, then sends it again
           and again); submit, whole visitor submissions (GET the form, then POST it);
  capacity staff sockets spread over the parks, then submissions at offered rates found by
           a short search: per step the delivery latency from submit to receipt, deliveries
           lost, submissions sent, shed (503, try again) and failed; the highest rate that
           met the goal;
  idle     open many idle staff sockets, print READY, hold them until stdin says stop.

Staff sockets speak Engine.IO 4 / Socket.IO 5 over a websocket directly (open packet,
namespace connect, ping/pong, events): a few KB per socket, so that one load-generator
process can hold ten thousand of them on a small machine.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import re
import sys
import time
import uuid
from dataclasses import dataclass
from typing import Any

import aiohttp

# the form's hidden fields (CSRF token, the signed moment it was served), sent back as a
# browser does: every bot-trap check runs on them
HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')
ATTRIBUTE = re.compile(r'(name|value)="([^"]*)"')
NAMESPACE = "/staff"
EVENT_PREFIX = f"42{NAMESPACE},"


def session_cookie(response: aiohttp.ClientResponse) -> str:
    morsel = response.cookies.get("session")
    return f"session={morsel.value}" if morsel else ""


def hidden_fields(html: str) -> dict[str, str]:
    fields = {}
    for tag in HIDDEN.findall(html):
        attributes = dict(ATTRIBUTE.findall(tag))
        if "name" in attributes:
            fields[attributes["name"]] = attributes.get("value", "")
    return fields


def browser_form(fields: dict[str, str]) -> aiohttp.FormData:
    """multipart/form-data as a browser sends the visitor form: no photo chosen, the
    honeypot left empty."""
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    form.add_field("photos", b"", filename="", content_type="application/octet-stream")
    return form


async def open_form(http: aiohttp.ClientSession, url: str, spot: str
                    ) -> tuple[str, dict[str, str]] | None:
    """A visitor opens the form: its session cookie and hidden fields (CSRF token, the
    signed moment it was served); None if it did not come."""
    async with http.get(f"{url}/q/{spot}") as page:
        html = await page.text()
        cookie = session_cookie(page)
    fields = hidden_fields(html)
    if page.status != 200 or "csrf_token" not in fields:
        return None
    return cookie, fields


async def send_form(http: aiohttp.ClientSession, url: str, spot: str,
                    opened: tuple[str, dict[str, str]], body: str, *, to: str = "/q/") -> str:
    """The visitor sends the form as a browser does (to the durable floor with
    to="/bench/floor/"): "sent" on 303; "shed" on the server's "busy, try again" (503 with
    Retry-After and the form back with the visitor's words: nothing lost, they send it
    again); "failed" on anything else."""
    cookie, fields = opened
    form = browser_form({**fields, "category": "noise", "body": body, "contact": "",
                         "website": ""})
    async with http.post(f"{url}{to}{spot}", allow_redirects=False, headers={"Cookie": cookie},
                         data=form) as response:
        page = await response.text()
    if response.status == 303:
        return "sent"
    if response.status == 503 and response.headers.get("Retry-After") and body in page:
        return "shed"
    return "failed"


async def visitor_submission(http: aiohttp.ClientSession, url: str, spot: str, body: str,
                             sent: dict[int, float] | None = None, number: int = 0) -> str:
    """One visitor: GET the form, POST it (the outcome of `send_form`); `sent[number]` is
    when the POST left."""
    try:
        opened = await open_form(http, url, spot)
        if opened is None:
            return "failed"
        if sent is not None:
            sent[number] = time.monotonic()
        return await send_form(http, url, spot, opened, body)
    except (TimeoutError, aiohttp.ClientError):
        return "failed"


async def log_in(http: aiohttp.ClientSession, url: str, email: str, password: str) -> str:
    """A staff login; the session cookie that authenticates sockets on every process."""
    async with http.get(f"{url}/staff/login") as page:
        html = await page.text()
        cookie = session_cookie(page)
    fields = hidden_fields(html)
    assert "csrf_token" in fields, "no CSRF token on the login page"
    async with http.post(f"{url}/staff/login", allow_redirects=False,
                         headers={"Cookie": cookie},
                         data={**fields, "email": email, "password": password}) as response:
        assert response.status == 303, f"login of {email} failed: {response.status}"
        return session_cookie(response)


def new_http(limit: int = 0) -> aiohttp.ClientSession:
    # cookies are passed by hand: every visitor and socket is its own browser
    return aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar(),
                                 connector=aiohttp.TCPConnector(limit=limit),
                                 timeout=aiohttp.ClientTimeout(total=60))


# --- http: hello and submissions flat out ----------------------------------------------

async def run_http(args: argparse.Namespace) -> dict[str, Any]:
    urls = args.urls.split(",")
    spots = args.spots.split(",") if args.spots else []
    outcomes = {"sent": 0, "shed": 0, "failed": 0}
    stop = 0.0  # set when the clock starts

    async def worker(number: int, http: aiohttp.ClientSession,
                     opened: tuple[str, dict[str, str]] | None) -> None:
        url = urls[number % len(urls)]
        count = 0
        while time.monotonic() < stop:
            count += 1
            spot = spots[(number + count) % len(spots)] if spots else ""
            body = f"bench {number} {count}"
            try:
                if args.kind == "hello":
                    async with http.get(f"{url}/bench/hello") as response:
                        await response.read()
                        outcome = "sent" if response.status == 200 else "failed"
                elif opened is not None:  # "post", "floor": the form opened once, sent again
                    outcome = await send_form(http, url, spot, opened, body, to=(
                        "/bench/floor/" if args.kind == "floor" else "/q/"))
                else:
                    outcome = await visitor_submission(http, url, spot, body)
            except (TimeoutError, aiohttp.ClientError):
                outcome = "failed"
            outcomes[outcome] += 1

    async with new_http() as http:
        # warm-up: connections and the app's first requests are not measured
        async with http.get(f"{urls[0]}/healthz") as response:
            await response.read()
        # "post" and "floor" measure the submission alone: each client opens its form before
        # the clock starts (a session's CSRF token and start stamp stay valid for many sends)
        forms: list[tuple[str, dict[str, str]] | None] = [None] * args.concurrency
        if args.kind in ("post", "floor"):
            forms = list(await asyncio.gather(*(
                open_form(http, urls[n % len(urls)], spots[n % len(spots)])
                for n in range(args.concurrency))))
            if any(form is None for form in forms):
                raise SystemExit("the visitor form did not open")
        stop = time.monotonic() + args.seconds
        started = time.monotonic()
        await asyncio.gather(*(worker(n, http, forms[n]) for n in range(args.concurrency)))
        elapsed = time.monotonic() - started
    # flat out is over capacity by design: a submission shed with "busy, try again" (503,
    # Retry-After, the form kept) is not an error; anything else without its answer is
    return {"kind": args.kind, "completed": outcomes["sent"], "shed": outcomes["shed"],
            "errors": outcomes["failed"], "seconds": elapsed,
            "per_second": outcomes["sent"] / elapsed, "concurrency": args.concurrency}


# --- staff sockets ------------------------------------------------------------------------

@dataclass
class StaffSocket:
    park: int
    ws: aiohttp.ClientWebSocketResponse | None = None
    events: int = 0


async def open_socket(http: aiohttp.ClientSession, url: str, cookie: str,
                      socket: StaffSocket) -> None:
    """Engine.IO open, Socket.IO connect to /staff; raises if refused."""
    ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    # offered permessage-deflate as browsers do (a server that accepts it keeps a zlib
    # compressor per socket)
    ws = await http.ws_connect(ws_url, headers={"Cookie": cookie}, autoping=True,
                               max_msg_size=0, compress=15)
    opening = await ws.receive(timeout=30)
    if opening.type != aiohttp.WSMsgType.TEXT or not opening.data.startswith("0"):
        await ws.close()
        raise ConnectionError(f"no engine.io open packet: {opening.data!r}")
    await ws.send_str(f"40{NAMESPACE},")
    while True:
        reply = await ws.receive(timeout=30)
        if reply.type != aiohttp.WSMsgType.TEXT:
            raise ConnectionError(f"socket closed while connecting: {reply.type}")
        if reply.data == "2":
            await ws.send_str("3")
        elif reply.data.startswith(f"40{NAMESPACE},"):
            socket.ws = ws
            return
        else:
            await ws.close()
            raise ConnectionError(f"namespace refused: {reply.data!r}")


async def listen(socket: StaffSocket, on_event: Any) -> None:
    """Answer pings, hand events to on_event(socket, name, payload) until closed."""
    ws = socket.ws
    assert ws is not None
    async for message in ws:
        if message.type != aiohttp.WSMsgType.TEXT:
            break
        data = message.data
        if data == "2":
            await ws.send_str("3")
        elif data.startswith(EVENT_PREFIX):
            name, payload = json.loads(data[len(EVENT_PREFIX):])[:2]
            socket.events += 1
            if on_event is not None:
                on_event(socket, name, payload)


async def open_sockets(http: aiohttp.ClientSession, urls: list[str], cookies: list[str],
                       count: int, on_event: Any, parallel: int = 100
                       ) -> tuple[list[StaffSocket], list[asyncio.Task[None]], int]:
    """Open `count` sockets, socket n for park n % parks on process n % processes."""
    gate = asyncio.Semaphore(parallel)
    sockets = [StaffSocket(park=n % len(cookies)) for n in range(count)]
    tasks: list[asyncio.Task[None]] = []
    failures = 0

    async def one(number: int, socket: StaffSocket) -> None:
        nonlocal failures
        async with gate:
            try:
                await open_socket(http, urls[number % len(urls)], cookies[socket.park], socket)
            except (TimeoutError, aiohttp.ClientError, ConnectionError, OSError) as error:
                failures += 1
                if failures <= 3:
                    print(f"socket {number} failed: {error!r}", file=sys.stderr)
                return
        # listen at once: a socket that does not answer the server's pings is closed
        # after 45 s, long before ten thousand have connected on a busy machine
        tasks.append(asyncio.create_task(listen(socket, on_event)))

    await asyncio.gather(*(one(n, s) for n, s in enumerate(sockets)))
    opened = [s for s in sockets if s.ws is not None]
    return opened, tasks, failures


async def close_sockets(sockets: list[StaffSocket], tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*(s.ws.close() for s in sockets if s.ws is not None),
                         return_exceptions=True)


async def staff_cookies(http: aiohttp.ClientSession, url: str, logins: dict[str, Any]
                        ) -> list[str]:
    return [await log_in(http, url, park["email"], logins["password"])
            for park in logins["parks"]]


# --- capacity: submissions at offered rates to 1,000 sockets -----------------------------

def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@dataclass
class Offer:
    """What the current step of the search collects."""

    first: int  # the first submission number of the step
    delivered: int = 0


def meets_goal(step: dict[str, Any], goal_ms: float) -> bool:
    """Capacity's rule: every offered submission sent (none shed, none failed, sent on
    time), every delivery made, and delivery p99 under the goal."""
    return (step["failed"] == 0 and step["shed"] == 0 and step["lost"] == 0
            and step["achieved_rate"] >= 0.98 * step["offered_rate"]
            and step["latency_ms"]["p99"] < goal_ms)


def next_rate(passed: float | None, failed: float | None, rate: float,
              resolution: float) -> float | None:
    """The next rate to offer: up by half until one fails, down by half until one passes,
    then halving the gap; None once the gap is within `resolution`."""
    if failed is None:
        return rate * 1.5
    if passed is None:
        return rate / 2 if rate / 2 >= resolution else None
    if failed - passed <= resolution:
        return None
    return round((passed + failed) / 2, 1)


async def run_capacity(args: argparse.Namespace) -> dict[str, Any]:
    """Open the staff sockets once, then offer submissions at rates found by a short search
    (`next_rate`); each step is `--seconds` long. The capacity is the highest rate whose
    step met the goal (`meets_goal`)."""
    urls = args.urls.split(",")
    with open(args.logins) as handle:
        logins = json.load(handle)
    parks = logins["parks"]
    run = uuid.uuid4().hex[:6]
    sent: dict[int, float] = {}
    received: dict[tuple[int, int], float] = {}
    offer = Offer(first=0)
    duplicates = 0
    foreign = 0

    def on_event(socket: StaffSocket, name: str, payload: dict[str, Any]) -> None:
        nonlocal duplicates, foreign
        now = time.monotonic()
        # a new case, or a report joining the open case at that spot ("me too": after the
        # first step every spot has one); staff are told of both at once
        if name == "feedback.created":
            text = payload.get("excerpt", "")
        elif name == "case.updated" and payload.get("change") == "me_too":
            text = payload.get("me_too_excerpt", "")
        else:
            return
        words = str(text).split()
        if len(words) != 3 or words[:2] != ["bench", run]:
            foreign += 1
            return
        key = (id(socket), int(words[2]))
        if key in received:
            duplicates += 1
        else:
            received[key] = now
            if key[1] >= offer.first:
                offer.delivered += 1

    async def step(http: aiohttp.ClientSession, rate: float, per_park: list[int]
                   ) -> dict[str, Any]:
        total = int(rate * args.seconds)
        first = offer.first = len(sent)
        offer.delivered = 0
        outcomes: list[asyncio.Task[str]] = []
        started = time.monotonic()
        for n in range(total):
            delay = started + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            number = first + n
            outcomes.append(asyncio.create_task(visitor_submission(
                http, urls[number % len(urls)], parks[number % len(parks)]["point"],
                f"bench {run} {number}", sent, number)))
        results = await asyncio.gather(*outcomes)
        submit_seconds = time.monotonic() - started
        expected = sum(per_park[(first + n) % len(parks)]
                       for n, outcome in enumerate(results) if outcome == "sent")
        deadline = time.monotonic() + args.grace
        while offer.delivered < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        latencies = [(at - sent[number]) * 1000 for (_, number), at in received.items()
                     if number >= first]
        return {
            "offered_rate": rate, "submitted": total,
            "achieved_rate": total / submit_seconds,
            "sent": results.count("sent"), "shed": results.count("shed"),
            "failed": results.count("failed"),
            "expected_deliveries": expected, "delivered": offer.delivered,
            "lost": expected - offer.delivered,
            "latency_ms": {"p50": percentile(latencies, 0.50),
                           "p95": percentile(latencies, 0.95),
                           "p99": percentile(latencies, 0.99),
                           "max": max(latencies, default=float("nan"))},
        }

    steps: list[dict[str, Any]] = []
    async with new_http() as http:
        cookies = await staff_cookies(http, urls[0], logins)
        opened, tasks, failures = await open_sockets(http, urls, cookies, args.sockets, on_event)
        # the sockets live to the end: the collector need not walk them again (a full
        # collection of this process would otherwise add its pause to the latencies)
        gc.collect()
        gc.freeze()
        per_park = [sum(1 for s in opened if s.park == park) for park in range(len(parks))]
        passed: float | None = None
        failed: float | None = None
        rate: float | None = args.rate
        while rate is not None and len(steps) < args.max_steps:
            # nor collect during a step: its pauses (up to 12 ms for the young generations,
            # measured) would be counted as delivery latency; what a step leaves is collected
            # between steps
            gc.disable()
            try:
                result = await step(http, rate, per_park)
            finally:
                gc.enable()
                gc.collect()
            result["meets_goal"] = meets_goal(result, args.goal_ms)
            steps.append(result)
            print(f"offered {rate:.0f}/s: sent {result['achieved_rate']:.0f}/s, p99 "
                  f"{result['latency_ms']['p99']:.0f} ms, lost {result['lost']}, shed "
                  f"{result['shed']}, failed {result['failed']}", file=sys.stderr, flush=True)
            if result["meets_goal"]:
                passed = rate
            else:
                failed = rate
            rate = next_rate(passed, failed, rate, args.resolution)
            await asyncio.sleep(args.settle)  # the server drains what a failed step left
        await close_sockets(opened, tasks)

    best = max((s for s in steps if s["meets_goal"]), key=lambda s: s["offered_rate"],
               default=None)
    return {
        "sockets": len(opened), "socket_failures": failures, "parks": len(parks),
        "goal_ms": args.goal_ms, "capacity_per_s": best["offered_rate"] if best else 0.0,
        "at_capacity": best, "steps": steps,
        "duplicates": duplicates, "foreign": foreign,
    }


# --- idle: many sockets held open ----------------------------------------------------------

async def run_idle(args: argparse.Namespace) -> dict[str, Any]:
    with open(args.logins) as handle:
        logins = json.load(handle)
    async with new_http() as http:
        cookies = await staff_cookies(http, args.urls.split(",")[0], logins)
        started = time.monotonic()
        opened, tasks, failures = await open_sockets(http, args.urls.split(","), cookies,
                                                     args.sockets, None, parallel=200)
        seconds = time.monotonic() - started
        print(json.dumps({"ready": len(opened), "failures": failures}), flush=True)
        # hold the sockets (answering pings) until the runner has measured the server
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        still_open = sum(1 for s in opened if s.ws is not None and not s.ws.closed)
        await close_sockets(opened, tasks)
    return {"sockets": len(opened), "failures": failures, "connect_seconds": seconds,
            "still_open": still_open}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("phase", choices=["http", "capacity", "idle"])
    parser.add_argument("--urls", required=True, help="comma-separated server URLs")
    parser.add_argument("--kind", choices=["hello", "floor", "post", "submit"], default="hello")
    parser.add_argument("--spots", default="", help="comma-separated spot codes")
    parser.add_argument("--logins", help="JSON file written by bench.seed")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=40.0,
                        help="capacity: the first rate offered (submissions/s)")
    parser.add_argument("--goal-ms", type=float, default=50.0, help="capacity: delivery p99")
    parser.add_argument("--resolution", type=float, default=5.0,
                        help="capacity: the search stops when pass and fail are this close")
    parser.add_argument("--max-steps", type=int, default=8)
    parser.add_argument("--settle", type=float, default=3.0,
                        help="capacity: seconds between steps")
    parser.add_argument("--grace", type=float, default=10.0)
    args = parser.parse_args()
    phase = {"http": run_http, "capacity": run_capacity, "idle": run_idle}[args.phase]
    print(json.dumps(asyncio.run(phase(args))), flush=True)


if __name__ == "__main__":
    main()
