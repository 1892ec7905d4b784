"""Real server processes for tests: gunicorn with the deploy config, on a free loopback port.

Used wherever a test needs what users have: a browser against a served page, two server
processes sharing PostgreSQL and Redis, a crash with `kill -9`.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tests.support import infra

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
FLASK = Path(sys.executable).parent / "flask"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Kill the whole process group (gunicorn master and worker)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=20)


def served_database(folder: Path, name: str) -> str:
    """The database of a served app: in the PostgreSQL run (TEST_DATABASE_URL) an emptied
    scratch database `<the run's database>_<name>`, else a SQLite file in the folder. The
    servers run on the database the run is about, like the rest of the suite."""
    if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
        return infra.scratch_database(name)
    return f"sqlite:///{folder / name}.db"


def server_env(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV_"))}
    env.update({
        "APP_ENV": "development",
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": "server-test-secret-key-0123456789abcdef",
        "RUN_JOBS": "0",
        # scripted clients post at machine speed and in bulk: the abuse checks have their
        # own tests, which switch them back on through `extra`
        "FORM_MIN_SECONDS": "0",
        "RATELIMIT_ENABLED": "0",
    })
    env.update(extra)
    return env


# the databases this test process prepared by running the commands, by "with the demo":
# every later preparation copies one (tests/support/infra.py, copy_database)
_templates: dict[bool, dict[str, str]] = {}


def prepare_database(env: dict[str, str], demo: bool = True) -> None:
    """The database of `env` as a deployment prepares it: `flask db upgrade` (and `flask
    demo`, without its history: the server tests start from the demo unit alone).

    The commands run once per test process, into a template database of their own; each
    preparation copies the template, the very bytes the commands would write again (each
    command is a process importing the app: 3-4 s each, most of a served site's start)."""
    infra.copy_database(_template(demo)["DATABASE_URL"], env["DATABASE_URL"])


def _template(demo: bool) -> dict[str, str]:
    """The environment of the template database (made on first use)."""
    if demo not in _templates:
        name = "template_demo" if demo else "template_empty"
        folder = Path(tempfile.mkdtemp(prefix="pm-template-"))
        env = server_env(served_database(folder, name), folder / "instance")
        for command in (["db", "upgrade"], ["demo", "--no-history"]) if demo else (
                ["db", "upgrade"],):
            subprocess.run([str(FLASK), "--app", "wsgi", *command], cwd=ROOT, env=env,
                           check=True, capture_output=True, timeout=120)
        _templates[demo] = env
    return _templates[demo]


@functools.cache
def demo_spots() -> list[dict[str, Any]]:
    """`flask points list --json` of the demo data (every prepared demo database is a copy
    of one, so one listing serves them all)."""
    return list(json.loads(subprocess.run(
        [str(FLASK), "--app", "wsgi", "points", "list", "--json"], cwd=ROOT, env=_template(True),
        check=True, capture_output=True, timeout=60).stdout))


def start_server(env: dict[str, str], log_path: Path, port: int | None = None,
                 timeout: float = 30.0, app: str = "wsgi:app") -> Server:
    port = port or free_port()
    env = {**env, "HOST": "127.0.0.1", "PORT": str(port)}
    with log_path.open("ab") as log_file:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [str(GUNICORN), "--config", "deploy/gunicorn.conf.py", app],
            cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process=process, port=port, log_path=log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{server.log()}")
        try:
            if requests.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"server did not answer within {timeout}s:\n{server.log()}")


@contextmanager
def running_server(env: dict[str, str], log_path: Path, port: int | None = None,
                   app: str = "wsgi:app") -> Iterator[Server]:
    server = start_server(env, log_path, port, app=app)
    try:
        yield server
    finally:
        server.kill(signal.SIGTERM)
