"""Scale-out: several real server processes sharing PostgreSQL and Redis.

Each test starts gunicorn with the deploy configuration, as a city would run it: events
cross processes through Redis, catch-up works on any process, a Redis outage loses
nothing, and periodic jobs run once per round across all processes.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio

from tests.support import infra
from tests.support.servers import (
    Server,
    demo_spots,
    prepare_database,
    running_server,
    server_env,
)

pytestmark = [pytest.mark.services, pytest.mark.server]

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# generous bounds for waiting on a shared, busy machine; speed is measured by `make bench`
WAIT = 10.0


@dataclass
class Deployment:
    env: dict[str, str]
    spots: list[dict[str, Any]]
    tmp_path: Path


def deployment(tmp_path: Path, database_url: str, redis_url: str, **extra: str) -> Deployment:
    """Environment of one city deployment: a migrated database with demo data, a queue."""
    env = server_env(
        database_url, tmp_path / "instance",
        SOCKETIO_MESSAGE_QUEUE=redis_url,
        SOCKETIO_CHANNEL=infra.unique_name("pm-test"),
        RATELIMIT_STORAGE_URI=redis_url,
        RATELIMIT_KEY_PREFIX=infra.unique_name("pm-test"),
        **extra,
    )
    prepare_database(env)
    spots = demo_spots()
    return Deployment(env=env, spots=spots, tmp_path=tmp_path)


def start_processes(stack: ExitStack, city: Deployment, count: int = 2,
                    app: str = "wsgi:app") -> list[Server]:
    return [stack.enter_context(running_server(city.env, city.tmp_path / f"server-{n}.log",
                                               app=app))
            for n in range(count)]


def staff_session(server: Server, email: str = "director@ritan.demo") -> requests.Session:
    session = requests.Session()
    token = CSRF.search(session.get(f"{server.url}/staff/login").text).group(1)
    response = session.post(f"{server.url}/staff/login", allow_redirects=False, data={
        "email": email, "password": "demo12345", "csrf_token": token})
    assert response.status_code == 303
    return session


def staff_cookie(server: Server, email: str = "director@ritan.demo") -> str:
    return f"session={staff_session(server, email).cookies['session']}"


def submit(server: Server, spot_code: str, body: str) -> None:
    """A visitor's submission through the form of one server process."""
    visitor = requests.Session()
    form_url = f"{server.url}/q/{spot_code}"
    token = CSRF.search(visitor.get(form_url).text).group(1)
    response = visitor.post(form_url, allow_redirects=False, data={
        "category": "noise", "body": body, "csrf_token": token})
    assert response.status_code == 303, response.text


class StaffSocket:
    """A real Socket.IO client (websocket transport) on the /staff namespace."""

    def __init__(self, server: Server, cookie: str, since: int | None = None) -> None:
        self.events: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self.closed = threading.Event()
        self.client = socketio.Client(reconnection=False)
        self.client.on("*", self._received, namespace="/staff")
        self.client.on("disconnect", self._disconnected, namespace="/staff")
        self.client.connect(server.url, namespaces=["/staff"], transports=["websocket"],
                            headers={"Cookie": cookie}, wait_timeout=WAIT,
                            auth=None if since is None else {"since": since})

    def _received(self, name: str, payload: dict[str, Any]) -> None:
        self.events.put((name, payload))

    def _disconnected(self, *reason: Any) -> None:
        self.closed.set()

    def next(self, timeout: float = WAIT) -> tuple[str, dict[str, Any]]:
        return self.events.get(timeout=timeout)

    def close(self) -> None:
        self.client.disconnect()


@pytest.fixture
def sockets() -> Iterator[list[StaffSocket]]:
    opened: list[StaffSocket] = []
    yield opened
    for socket in opened:
        socket.close()


@dataclass
class City:
    deployment: Deployment
    a: Server
    b: Server
    tick_log: Path


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[City]:
    """Two processes on one PostgreSQL and Redis, running the job loop with a test job."""
    tmp_path = tmp_path_factory.mktemp("city")
    tick_log = tmp_path / "ticks.log"
    tick_log.touch()
    database = infra.scratch_database("city")
    with ExitStack() as stack:
        city = deployment(tmp_path, database, infra.redis_url(), RUN_JOBS="1",
                          JOB_LOOP_SECONDS="0.1", JOB_TICK_LOG=str(tick_log))
        process_a, process_b = start_processes(stack, city, app="tests.support.job_app:app")
        yield City(deployment=city, a=process_a, b=process_b, tick_log=tick_log)


def test_a_case_submitted_on_one_process_reaches_staff_on_another(city, sockets):
    watcher = StaffSocket(city.a, staff_cookie(city.a))
    sockets.append(watcher)
    spot = city.deployment.spots[0]

    submit(city.b, spot["code"], "B 进程提交的")

    name, payload = watcher.next()
    assert name == "feedback.created"
    assert payload["excerpt"] == "B 进程提交的"
    assert payload["point_name"] == spot["name"]


def test_catch_up_works_on_another_process(city, sockets):
    cookie = staff_cookie(city.a)
    first = StaffSocket(city.a, cookie)
    sockets.append(first)
    submit(city.a, city.deployment.spots[0]["code"], "断线前")
    _, seen = first.next()
    first.close()

    missed = [f"断线期间 {n}" for n in range(3)]
    # a spot each: at one spot, later messages would join the first as "me too"
    for n, body in enumerate(missed):
        submit(city.b, city.deployment.spots[1 + n]["code"], body)

    # the same login, now on process B, asks for everything after the last id it saw
    again = StaffSocket(city.b, cookie, since=seen["event_id"])
    sockets.append(again)
    replayed = [again.next() for _ in missed]
    assert [payload["excerpt"] for _, payload in replayed] == missed
    name, done = again.next()
    assert name == "sync.done"
    assert done["replayed"] == len(missed)


def test_an_ended_session_closes_its_sockets_on_every_process(city, sockets):
    """"Log out" ends every session of the person: their pages on both processes are told
    and their sockets close; a colleague's stay and still get new cases."""
    captain = "security@ritan.demo"
    old_cookie = staff_cookie(city.a, captain)
    on_a, on_b = StaffSocket(city.a, old_cookie), StaffSocket(city.b, old_cookie)
    director = StaffSocket(city.a, staff_cookie(city.a))
    sockets.extend([on_a, on_b, director])

    other_login = staff_session(city.b, captain)
    token = CSRF.search(other_login.get(f"{city.b.url}/staff/").text).group(1)
    response = other_login.post(f"{city.b.url}/staff/logout", data={"csrf_token": token},
                                allow_redirects=False)
    assert response.status_code in (302, 303)

    for socket in (on_a, on_b):
        assert socket.next()[0] == "session.ended"
        assert socket.closed.wait(WAIT)
    submit(city.b, city.deployment.spots[4]["code"], "登出之后的新留言")
    name, payload = director.next()
    assert (name, payload["excerpt"]) == ("feedback.created", "登出之后的新留言")
    assert not director.closed.is_set()
    assert on_a.events.empty()
    assert on_b.events.empty()


def test_periodic_jobs_run_once_per_round_across_processes(city):
    deadline = time.monotonic() + 60
    while len(city.tick_log.read_text().splitlines()) < 5 and time.monotonic() < deadline:
        time.sleep(0.2)
    for server in (city.a, city.b):
        assert "job loop started" in server.log()
    rounds = sorted(datetime.fromisoformat(line.split()[0])
                    for line in city.tick_log.read_text().splitlines())
    assert len(rounds) >= 5
    # a lease of one second per round: two runs of the same round would be closer than that
    assert all(later - earlier >= timedelta(seconds=1)
               for earlier, later in zip(rounds, rounds[1:], strict=False))


def test_a_redis_outage_loses_nothing(tmp_path):
    database = infra.scratch_database("outage")
    with infra.private_redis(tmp_path) as redis_server, ExitStack() as stack:
        city = deployment(tmp_path, database, redis_server.url)
        process_a, process_b = start_processes(stack, city)
        cookie = staff_cookie(process_a)
        watcher = StaffSocket(process_a, cookie)
        stack.callback(watcher.close)  # before the servers stop: no graceful wait for it
        # a spot per message: at one spot, later messages would join the first as "me too"
        codes = iter(spot["code"] for spot in city.spots)
        submit(process_b, next(codes), "停机前")
        _, before = watcher.next()

        redis_server.stop()
        during = [f"Redis 停机期间 {n}" for n in range(3)]
        for n, body in enumerate(during):
            # cases still save on every process while Redis is away
            submit(process_b if n % 2 else process_a, next(codes), body)
        redis_server.start()

        # Once its subscription is back, process A closes its staff connections so that
        # every client reconnects and catches up (pub/sub itself kept nothing).
        assert watcher.closed.wait(timeout=60), "process A never asked its clients to catch up"
        again = StaffSocket(process_a, cookie, since=before["event_id"])
        stack.callback(again.close)
        replayed = [again.next() for _ in during]
        assert [payload["excerpt"] for _, payload in replayed] == during
        assert again.next()[0] == "sync.done"

        # and live delivery across processes works again
        submit(process_b, next(codes), "恢复之后")
        name, payload = again.next()
        assert (name, payload["excerpt"]) == ("feedback.created", "恢复之后")
