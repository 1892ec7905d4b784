"""`make bench`: start the server stack, drive it with bench/loadgen.py, print and save figures.

Setups: "embedded" (SQLite, one process) always; "scale-out" (PostgreSQL + Redis, two
processes) when both answer. Every figure is measured in the same run as its baseline
(the bare /bench/hello endpoint on the same stack): the machines are shared and noisy.
See bench/README.md for the settings.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"
SECRET = "bench-secret-key-0123456789abcdef0123456789"  # noqa: S105 - bench servers only
# settings for bench servers only, never production (README "The served app")
BENCH_SETTINGS = {
    "RUN_JOBS": "0", "ACCESS_LOG": "0",
    # the baseline endpoint; rate limits lifted for load from one address
    "BENCH_HELLO": "1", "RATELIMIT_ENABLED": "0",
    # the scripted visitors send the form back at machine speed: no minimum fill time
    # (the honeypot and every other check stay on)
    "FORM_MIN_SECONDS": "0",
}


def raise_file_limit(wanted: int) -> int:
    """Sockets are file descriptors: take `wanted` (raising the hard limit needs privilege:
    root or CAP_SYS_RESOURCE), else the hard limit. Children inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), max(hard, wanted)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_ticks() -> list[int] | None:
    """The machine's CPU time so far by kind (/proc/stat; None where there is none)."""
    try:
        first_line = Path("/proc/stat").read_text().split("\n", 1)[0]
    except OSError:
        return None
    return [int(value) for value in first_line.split()[1:]]


def stolen_percent(before: list[int] | None, after: list[int] | None) -> float | None:
    """The share of the machine's CPU time the hypervisor gave to others in between (steal,
    the eighth figure): a virtual machine's neighbours slow every figure of a run."""
    if before is None or after is None or len(before) < 8:
        return None
    spent = [b - a for a, b in zip(before, after, strict=True)]
    return 100 * spent[7] / max(sum(spent), 1)


def worker_pid(master: int) -> int:
    """The gunicorn worker (the one child of the master) that serves the sockets."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                return int(entry.name)
    raise RuntimeError(f"no worker under gunicorn master {master}")


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@contextmanager
def server(env: dict[str, str], log: Path) -> Iterator[Server]:
    port = free_port()
    with log.open("ab") as log_file:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", "deploy/gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT, env={**env, "HOST": "127.0.0.1", "PORT": str(port)},
            stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    running = Server(process=process, url=f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start; see {log}")
            try:
                with urlopen(f"{running.url}/healthz", timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        yield running
    finally:
        running.stop()


def flask(env: dict[str, str], *command: str) -> str:
    return subprocess.run([str(BIN / "flask"), "--app", "wsgi", *command], cwd=ROOT, env=env,
                          check=True, capture_output=True, text=True, timeout=300).stdout


def loadgen(*args: str, timeout: float = 600) -> dict[str, Any]:
    # its progress (the capacity search's steps) goes to stderr, shown as it comes
    output = subprocess.run([sys.executable, "-m", "bench.loadgen", *args], cwd=ROOT,
                            check=True, stdout=subprocess.PIPE, text=True, timeout=timeout)
    return json.loads(output.stdout.strip().splitlines()[-1])


def idle_sockets(urls: list[str], logins: Path, count: int, master: int) -> dict[str, Any]:
    """Open `count` idle sockets on one process; its RSS before and with them."""
    worker = worker_pid(master)
    before = rss_mb(worker)
    generator = subprocess.Popen(
        [sys.executable, "-m", "bench.loadgen", "idle", "--urls", ",".join(urls),
         "--logins", str(logins), "--sockets", str(count)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert generator.stdout is not None
    assert generator.stdin is not None
    ready = json.loads(generator.stdout.readline())
    time.sleep(5)  # let the server settle (greenlets, buffers) before reading its memory
    with_sockets = rss_mb(worker)
    generator.stdin.write("stop\n")
    generator.stdin.flush()
    result = json.loads(generator.stdout.readline())
    generator.wait(timeout=120)
    return {**result, "ready": ready["ready"], "rss_mb_before": before,
            "rss_mb": with_sockets,
            "kb_per_socket": (with_sockets - before) * 1024 / max(ready["ready"], 1)}


def postgres_ready(url: str) -> str | None:
    try:
        import psycopg
        from sqlalchemy.engine import make_url

        parsed = make_url(url).set(drivername="postgresql")
        admin = parsed.set(database="postgres").render_as_string(hide_password=False)
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                (parsed.database,)).fetchone():
                conn.execute(f'CREATE DATABASE "{parsed.database}"')
        # the bench's own database, emptied for every run (a schema, not the database:
        # DROP DATABASE forces a checkpoint, which stalls a busy shared server)
        with psycopg.connect(parsed.render_as_string(hide_password=False),
                             autocommit=True) as conn:
            conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
            conn.execute("CREATE SCHEMA public")
    except Exception as error:  # any reason to skip the setup is reported, not raised
        return f"PostgreSQL: {error}"
    return None


def redis_ready(url: str) -> str | None:
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=5).ping()
    except Exception as error:  # as above
        return f"Redis: {error}"
    return None


def run_setup(name: str, env: dict[str, str], processes: int, args: argparse.Namespace,
              work: Path) -> dict[str, Any]:
    print(f"== {name}: preparing the database", flush=True)
    flask(env, "db", "upgrade")
    seeded = subprocess.run([sys.executable, "-m", "bench.seed"], cwd=ROOT, env=env,
                            check=True, capture_output=True, text=True, timeout=300).stdout
    logins = work / f"{name}-logins.json"
    logins.write_text(seeded)
    spots = ",".join(park["point"] for park in json.loads(seeded)["parks"])
    result: dict[str, Any] = {"setup": name, "processes": processes}
    ticks = cpu_ticks()
    with ExitStack() as stack:
        servers = [stack.enter_context(server(env, work / f"{name}-server-{n}.log"))
                   for n in range(processes)]
        urls = ",".join(s.url for s in servers)
        def flat_out(kind: str, what: str) -> dict[str, Any]:
            print(f"== {name}: {what} flat out ({args.seconds:.0f} s)", flush=True)
            return loadgen("http", "--kind", kind, "--urls", urls, "--spots", spots,
                           "--seconds", str(args.seconds),
                           "--concurrency", str(args.concurrency))

        result["hello"] = flat_out("hello", "hello baseline")
        result["floor"] = flat_out("floor", "the durable floor (/bench/floor)")
        result["post"] = flat_out("post", "submissions (POST)")
        result["submit"] = flat_out("submit", "whole visitor submissions (GET + POST)")
        result["floor_per_s"] = result["floor"]["per_second"]
        result["post_per_s"] = result["post"]["per_second"]
        result["post_to_floor"] = result["post_per_s"] / result["floor_per_s"]
        result["post_to_hello"] = result["post_per_s"] / result["hello"]["per_second"]
        result["submit_to_hello"] = (result["submit"]["per_second"]
                                     / result["hello"]["per_second"])
        print(f"== {name}: {args.sockets} staff sockets; capacity at p99 < {args.goal_ms:.0f} "
              f"ms, from {args.rate:.0f}/s, {args.step_seconds:.0f} s a step", flush=True)
        result["capacity"] = loadgen(
            "capacity", "--urls", urls, "--logins", str(logins), "--sockets",
            str(args.sockets), "--rate", str(args.rate), "--goal-ms", str(args.goal_ms),
            "--seconds", str(args.step_seconds), "--max-steps", str(args.max_steps),
            timeout=1800)
        result["capacity_per_s"] = result["capacity"]["capacity_per_s"]
        if args.idle and name == "embedded":
            print(f"== {name}: {args.idle} idle staff sockets on one process", flush=True)
            result["idle"] = idle_sockets([servers[0].url], logins, args.idle,
                                          servers[0].process.pid)
            result["idle_sockets"] = result["idle"]["ready"]
            result["idle_rss_mb"] = result["idle"]["rss_mb"]
    result["steal_percent"] = stolen_percent(ticks, cpu_ticks())
    return result


def failures(result: dict[str, Any]) -> int:
    """Requests that did not get their answer in any phase: hello without its 200, a
    submission without its 303 that was not shed with "busy, try again" (503, Retry-After,
    the form kept), which over capacity is the server's honest answer."""
    phases = (result["hello"], result["floor"], result["post"], result["submit"])
    return (sum(phase["errors"] for phase in phases)
            + sum(step["failed"] for step in result["capacity"]["steps"]))


def shed_below_capacity(result: dict[str, Any]) -> int:
    """Submissions shed (503) at offered rates up to the capacity: there should be none."""
    return sum(step["shed"] for step in result["capacity"]["steps"]
               if step["offered_rate"] <= result["capacity_per_s"])


def table(results: list[dict[str, Any]]) -> str:
    head = ("setup", "hello/s", "floor/s", "post/s", "post/floor", "visit/s", "sockets",
            "capacity/s", "p50 ms", "p99 ms", "lost", "shed", "failed", "idle", "RSS MB")
    rows = [head]
    for result in results:
        best = result["capacity"]["at_capacity"] or {}
        latency = best.get("latency_ms", {})
        steps = result["capacity"]["steps"]
        idle = result.get("idle")
        rows.append((
            f"{result['setup']} ({result['processes']}p)",
            f"{result['hello']['per_second']:.0f}", f"{result['floor_per_s']:.0f}",
            f"{result['post_per_s']:.0f}", f"{result['post_to_floor']:.2f}",
            f"{result['submit']['per_second']:.0f}", str(result["capacity"]["sockets"]),
            f"{result['capacity_per_s']:.0f}",
            f"{latency.get('p50', float('nan')):.1f}", f"{latency.get('p99', float('nan')):.1f}",
            str(sum(step["lost"] for step in steps)),
            f"{shed_below_capacity(result)}/{sum(step['shed'] for step in steps)}",
            str(failures(result)),
            str(idle["ready"]) if idle else "-", f"{idle['rss_mb']:.0f}" if idle else "-",
        ))
    widths = [max(len(row[n]) for row in rows) for n in range(len(head))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True))
             for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    goals = ("goals: post/floor >= 0.3; capacity >= 80/s (embedded, 1 process); 0 lost; "
             "0 failed, none shed below capacity; RSS < 1024 MB with 20,000 idle sockets\n"
             "floor/s: the durable floor (/bench/floor: parse the form, CSRF, insert the case "
             "and its event in one durable transaction, emit after commit); post/s: the real "
             "submission alone, each client's form opened before; visit/s: whole visitors "
             "(GET the form, then POST it)\n"
             "capacity/s: the highest offered rate at which every submission was sent, none "
             "lost, delivery p99 under the goal, with the sockets open (p50/p99 of that step); "
             "shed: 503 + Retry-After with the form kept, below capacity/in all steps; failed: "
             "requests without their answer, which make the run invalid")
    return "\n".join([*lines, goals])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="length of the hello and submission runs")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=40.0,
                        help="the first rate the capacity search offers")
    parser.add_argument("--goal-ms", type=float, default=50.0,
                        help="the delivery p99 the capacity is measured at")
    parser.add_argument("--step-seconds", type=float, default=10.0,
                        help="length of each step of the capacity search")
    parser.add_argument("--max-steps", type=int, default=7)
    parser.add_argument("--idle", type=int, default=20_000, help="0 skips the idle run")
    parser.add_argument("--only", choices=["embedded", "scale-out"])
    parser.add_argument("--quick", action="store_true",
                        help="a short smoke run: 3 s runs, 100 sockets, 3 steps of 3 s, 500 idle")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.sockets, args.rate = 3.0, 100, 20.0
        args.step_seconds, args.max_steps, args.idle = 3.0, 3, 500

    limit = raise_file_limit(args.idle + 1000)
    if args.idle + 200 > limit:
        print(f"file descriptor limit {limit}: idle run reduced to {limit - 200} sockets")
        args.idle = limit - 200
    work = Path(tempfile.mkdtemp(prefix="parkmailbox-bench-"))
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    base_env.update({"APP_ENV": "development", "SECRET_KEY": SECRET, **BENCH_SETTINGS})
    setups: list[tuple[str, dict[str, str], int]] = []
    if args.only in (None, "embedded"):
        setups.append(("embedded", {**base_env,
                                    "DATABASE_URL": f"sqlite:///{work / 'bench.db'}",
                                    "INSTANCE_PATH": str(work / "instance-embedded")}, 1))
    skipped = None
    if args.only in (None, "scale-out"):
        database = os.environ.get(
            "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/parkmailbox_bench")
        redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
        skipped = redis_ready(redis_url) or postgres_ready(database)
        if skipped is None:
            tag = f"pm-bench-{uuid.uuid4().hex[:8]}"
            setups.append(("scale-out", {
                **base_env, "DATABASE_URL": database,
                "INSTANCE_PATH": str(work / "instance-scale-out"),
                "SOCKETIO_MESSAGE_QUEUE": redis_url, "SOCKETIO_CHANNEL": tag,
                "RATELIMIT_STORAGE_URI": redis_url, "RATELIMIT_KEY_PREFIX": tag}, 2))
        else:
            print(f"scale-out skipped: {skipped}")

    results = [run_setup(name, env, processes, args, work) for name, env, processes in setups]
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg(),
                    "fd_limit": limit},
        "settings": {k: v for k, v in vars(args).items()},
        "scale_out_skipped": skipped,
        "results": results,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"bench-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(report, indent=2))
    print()
    print(table(results))
    stolen = ", ".join(f"{result['setup']} {result['steal_percent']:.1f}%" for result in results
                       if result.get("steal_percent") is not None)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"CPU time stolen by the hypervisor: {stolen or 'unknown'}; "
          f"server logs in {work}; results in {path.relative_to(ROOT)}")
    failed = sum(failures(result) + shed_below_capacity(result) for result in results)
    if failed:
        sys.exit(f"{failed} requests failed or shed below capacity: the figures above are "
                 f"not valid (server logs in {work})")


if __name__ == "__main__":
    main()
