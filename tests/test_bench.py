"""`make bench` measures what it says: its load generator's visitors and staff sockets get
real answers from a real server (the figures are the bench's business, never a test's)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench.run import BENCH_SETTINGS, failures
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


def test_every_staff_socket_hears_of_every_submission_at_its_park(bench_server):
    server, logins, _spots = bench_server
    result = loadgen("latency", "--urls", server.url, "--logins", str(logins),
                     "--sockets", "60", "--rate", "10", "--seconds", "2", "--grace", "10")
    assert result["sockets"] == 60
    assert result["submit_errors"] == 0
    # 20 submissions over 30 parks, two sockets per park: each heard by both
    assert result["expected_deliveries"] == 2 * 20
    assert (result["delivered"], result["lost"], result["foreign"]) == (40, 0, 0)


def test_a_run_with_failed_requests_is_not_reported_as_valid():
    result = {"hello": {"errors": 0}, "submit": {"errors": 3},
              "delivery": {"submit_errors": 1}}
    assert failures(result) == 4
