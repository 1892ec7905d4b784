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


def raise_file_limit() -> int:
    """Sockets are file descriptors: take the hard limit (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
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
    output = subprocess.run([sys.executable, "-m", "bench.loadgen", *args], cwd=ROOT,
                            check=True, capture_output=True, text=True, timeout=timeout)
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
    with ExitStack() as stack:
        servers = [stack.enter_context(server(env, work / f"{name}-server-{n}.log"))
                   for n in range(processes)]
        urls = ",".join(s.url for s in servers)
        print(f"== {name}: hello baseline ({args.seconds:.0f} s)", flush=True)
        result["hello"] = loadgen("http", "--kind", "hello", "--urls", urls,
                                  "--seconds", str(args.seconds),
                                  "--concurrency", str(args.concurrency))
        print(f"== {name}: submissions (POST) flat out ({args.seconds:.0f} s)", flush=True)
        result["post"] = loadgen("http", "--kind", "post", "--urls", urls,
                                 "--spots", spots, "--seconds", str(args.seconds),
                                 "--concurrency", str(args.concurrency))
        result["post_to_hello"] = result["post"]["per_second"] / result["hello"]["per_second"]
        print(f"== {name}: whole visitor submissions (GET + POST) flat out "
              f"({args.seconds:.0f} s)", flush=True)
        result["submit"] = loadgen("http", "--kind", "submit", "--urls", urls,
                                   "--spots", spots, "--seconds", str(args.seconds),
                                   "--concurrency", str(args.concurrency))
        result["submit_to_hello"] = (result["submit"]["per_second"]
                                     / result["hello"]["per_second"])
        print(f"== {name}: {args.sockets} staff sockets, {args.rate:.0f} submissions/s for "
              f"{args.latency_seconds:.0f} s", flush=True)
        result["delivery"] = loadgen("latency", "--urls", urls, "--logins", str(logins),
                                     "--sockets", str(args.sockets), "--rate", str(args.rate),
                                     "--seconds", str(args.latency_seconds))
        if args.idle and name == "embedded":
            print(f"== {name}: {args.idle} idle staff sockets on one process", flush=True)
            result["idle"] = idle_sockets([servers[0].url], logins, args.idle,
                                          servers[0].process.pid)
    return result


def failures(result: dict[str, Any]) -> int:
    """Requests that did not get their answer (hello 200, submission 303) in any phase."""
    return (result["hello"]["errors"] + result.get("post", {}).get("errors", 0)
            + result["submit"]["errors"] + result["delivery"]["submit_errors"])


def table(results: list[dict[str, Any]]) -> str:
    head = ("setup", "hello/s", "post/s", "ratio", "visit/s", "ratio", "sockets", "sent/s",
            "p50 ms", "p95 ms", "p99 ms", "lost", "failed", "idle", "RSS MB")
    rows = [head]
    for result in results:
        delivery = result["delivery"]
        latency = delivery["latency_ms"]
        idle = result.get("idle")
        rows.append((
            f"{result['setup']} ({result['processes']}p)",
            f"{result['hello']['per_second']:.0f}", f"{result['post']['per_second']:.0f}",
            f"{result['post_to_hello']:.2f}", f"{result['submit']['per_second']:.0f}",
            f"{result['submit_to_hello']:.2f}", str(delivery["sockets"]),
            f"{delivery['achieved_rate']:.0f} of {delivery.get('offered_rate', 0):.0f}",
            f"{latency['p50']:.1f}", f"{latency['p95']:.1f}", f"{latency['p99']:.1f}",
            str(delivery["lost"]), str(failures(result)),
            str(idle["ready"]) if idle else "-", f"{idle['rss_mb']:.0f}" if idle else "-",
        ))
    widths = [max(len(row[n]) for row in rows) for n in range(len(head))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True))
             for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    goals = ("goals: ratio >= 0.5, p99 < 50 ms, 0 lost, RSS < 1024 MB "
             "with 10,000 idle sockets\n"
             "post/s: the submission path alone (form parse, CSRF, validation, insert, event, "
             "emit), each client's form opened before; visit/s: whole visitors (GET the form, "
             "then POST it); each ratio against hello/s\n"
             "sent/s: submissions per second achieved of those offered in the latency run; "
             "below the offer, the server (or this machine) was over capacity and the "
             "latencies are mostly queueing; failed: requests without their answer (hello "
             "200, submission 303), which make the run invalid")
    return "\n".join([*lines, goals])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="length of the hello and submission runs")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--latency-seconds", type=float, default=30.0)
    parser.add_argument("--idle", type=int, default=10_000, help="0 skips the idle run")
    parser.add_argument("--only", choices=["embedded", "scale-out"])
    parser.add_argument("--quick", action="store_true",
                        help="a short smoke run: 3 s runs, 100 sockets, 5 s at 20/s, 500 idle")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.sockets, args.rate = 3.0, 100, 20.0
        args.latency_seconds, args.idle = 5.0, 500

    limit = raise_file_limit()
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
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"server logs in {work}; results in {path.relative_to(ROOT)}")
    failed = sum(failures(result) for result in results)
    if failed:
        sys.exit(f"{failed} requests failed: the figures above are not valid (server logs "
                 f"in {work})")


if __name__ == "__main__":
    main()
