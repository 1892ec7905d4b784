"""`make bench` measures what it says: its load generator's visitors and staff sockets get
real answers from a real server (the figures are the bench's business, never a test's)."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import create_engine, text

from bench.loadgen import next_rate
from bench.run import BENCH_SETTINGS, failures, shed_below_capacity, stolen_percent
from tests.support.servers import (
    ROOT,
    prepare_database,
    running_server,
    served_database,
    server_env,
)

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def bench_server(tmp_path_factory):
    work = tmp_path_factory.mktemp("bench")
    # a production-like server (bot traps on), with the settings bench/run.py gives its own
    env = {**server_env(served_database(work, "bench"), work / "instance",
                        FORM_MIN_SECONDS="3", RATELIMIT_ENABLED="1"), **BENCH_SETTINGS}
    prepare_database(env, demo=False)
    seeded = subprocess.run([sys.executable, "-m", "bench.seed"], cwd=ROOT, env=env,
                            check=True, capture_output=True, text=True, timeout=120).stdout
    logins = work / "logins.json"
    logins.write_text(seeded)
    with running_server(env, work / "server.log") as server:
        server.database_url = env["DATABASE_URL"]
        yield server, logins, [park["point"] for park in json.loads(seeded)["parks"]]


def loadgen(*args: str) -> dict:
    output = subprocess.run([sys.executable, "-m", "bench.loadgen", *args], cwd=ROOT,
                            check=True, capture_output=True, text=True, timeout=120).stdout
    return json.loads(output.strip().splitlines()[-1])


def test_the_load_generators_visitors_submit_the_form_as_a_browser_does(bench_server):
    server, _logins, spots = bench_server
    result = loadgen("http", "--kind", "submit", "--urls", server.url,
                     "--spots", ",".join(spots[:3]), "--seconds", "1", "--concurrency", "2")
    # every submission answered 303 (a bot trap or a missing field would answer otherwise)
    assert result["completed"] > 0
    assert result["errors"] == 0
    assert "refused by bot trap" not in server.log()


def test_the_submission_alone_reuses_one_opened_form_per_client(bench_server):
    server, _logins, spots = bench_server
    result = loadgen("http", "--kind", "post", "--urls", server.url,
                     "--spots", ",".join(spots[:3]), "--seconds", "1", "--concurrency", "2")
    assert result["completed"] > 2  # more sends than the two forms opened
    assert result["errors"] == 0


def test_the_durable_floor_takes_the_same_form_and_refuses_it_without_its_token(
        bench_server):
    server, _logins, spots = bench_server
    result = loadgen("http", "--kind", "floor", "--urls", server.url,
                     "--spots", ",".join(spots[:3]), "--seconds", "1", "--concurrency", "2")
    assert result["completed"] > 2
    assert result["errors"] == 0
    # each 303 stored its case and that case's event, at the spot's park
    engine = create_engine(server.database_url)
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT count(*), count(DISTINCT e.id) FROM feedback f JOIN events e"
            " ON e.case_id = f.id AND e.park_id = f.park_id AND e.kind = 'feedback.created'"
            " WHERE f.reference LIKE 'FLOOR-%'")).one()
    engine.dispose()
    assert tuple(rows) == (result["completed"], result["completed"])
    # the token is checked: the same form without it is refused
    form = urllib.parse.urlencode({"body": "bench", "category": "noise"}).encode()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{server.url}/bench/floor/{spots[0]}", data=form)  # noqa: S310
    assert refused.value.code == 400
    refused.value.close()


def test_every_staff_socket_hears_of_every_submission_at_its_park(bench_server):
    server, logins, _spots = bench_server
    result = loadgen("capacity", "--urls", server.url, "--logins", str(logins),
                     "--sockets", "60", "--rate", "10", "--seconds", "2", "--grace", "10",
                     "--max-steps", "1", "--settle", "0", "--goal-ms", "5000")
    assert result["sockets"] == 60
    (step,) = result["steps"]
    assert (step["sent"], step["shed"], step["failed"]) == (20, 0, 0)
    # 20 submissions over 30 parks, two sockets per park: each heard by both
    assert step["expected_deliveries"] == 2 * 20
    assert (step["delivered"], step["lost"], result["foreign"]) == (40, 0, 0)
    assert step["meets_goal"]
    assert result["capacity_per_s"] == 10


def test_the_capacity_search_goes_up_until_a_rate_fails_then_halves_the_gap():
    offered = []
    passed = failed = None
    rate = 40.0
    while rate is not None:
        offered.append(rate)
        ok = rate <= 77  # a server whose capacity is 77/s
        passed, failed = (rate, failed) if ok else (passed, rate)
        rate = next_rate(passed, failed, rate, resolution=5)
    assert offered == [40, 60, 90, 75, 82.5, 78.8]
    assert passed == 75


def test_a_run_with_failed_requests_is_not_reported_as_valid():
    ok = {"errors": 0}
    result = {"hello": ok, "floor": ok, "post": {"errors": 2}, "submit": {"errors": 3},
              "capacity_per_s": 60,
              "capacity": {"steps": [{"offered_rate": 40, "failed": 0, "shed": 1},
                                     {"offered_rate": 90, "failed": 1, "shed": 7}]}}
    assert failures(result) == 6
    # shed (503, try again, the form kept) is the honest answer over capacity, not below it
    assert shed_below_capacity(result) == 1


def test_the_stolen_share_is_the_steal_ticks_of_all_the_ticks_in_between():
    before = [100, 0, 50, 800, 10, 0, 5, 20, 0, 0]
    # user 60, system 10, idle 20, steal 10 more: 100 ticks, 10 of them stolen
    after = [160, 0, 60, 820, 10, 0, 5, 30, 0, 0]
    assert stolen_percent(before, after) == 10.0
    assert stolen_percent(None, after) is None
