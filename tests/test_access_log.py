"""The real server's access log (deploy/gunicorn.conf.py) holds no client addresses.

Each line names the client by the same keyed hash the rate limits and the blocks use
(app.security.client_hash); behind a proxy (PROXY_COUNT) it is the hash of the address
the proxy forwarded, which is also the one the app saw.
"""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from app.security import client_hash
from tests.support.servers import prepare_database, running_server, served_database, server_env

pytestmark = pytest.mark.server

SECRET_KEY = "access-log-test-secret-key-0123456789abcdef"  # noqa: S105 - a test server's key


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("access-log")
    env = server_env(served_database(folder, "access_log"), folder / "instance",
                     SECRET_KEY=SECRET_KEY, PROXY_COUNT="1")
    prepare_database(env, demo=False)
    with running_server(env, folder / "server.log") as running:
        yield running


def access_line(server, marker: str) -> str:
    """The access-log line of the request whose URL carries `marker` (written just after
    the answer is sent: wait for it)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        lines = [line for line in server.log().splitlines() if marker in line]
        if lines:
            return lines[0]
        time.sleep(0.1)
    raise AssertionError(f"no access-log line for {marker}:\n{server.log()[-2000:]}")


def test_a_direct_client_is_logged_by_its_hash(server):
    marker = uuid.uuid4().hex
    assert requests.get(f"{server.url}/healthz?probe={marker}", timeout=30).status_code == 200
    line = access_line(server, marker)
    assert line.startswith(client_hash("127.0.0.1", SECRET_KEY) + " ")
    assert "127.0.0.1" not in line


def test_a_proxied_client_is_logged_by_the_hash_the_app_uses(server):
    marker = uuid.uuid4().hex
    response = requests.get(f"{server.url}/healthz?probe={marker}", timeout=30,
                            headers={"X-Forwarded-For": "203.0.113.7"})
    assert response.status_code == 200
    line = access_line(server, marker)
    assert line.startswith(client_hash("203.0.113.7", SECRET_KEY) + " ")
    assert "203.0.113.7" not in line
    assert "127.0.0.1" not in line


def test_no_access_line_holds_an_address(server):
    requests.get(f"{server.url}/healthz", timeout=30, headers={"X-Forwarded-For": "198.51.100.9"})
    access_line(server, "GET /healthz HTTP")
    access_lines = [line for line in server.log().splitlines() if '"GET /' in line]
    assert access_lines
    for line in access_lines:
        assert "127.0.0.1" not in line
        assert "198.51.100.9" not in line


def test_no_access_line_holds_a_tracking_token(server):
    """Every path that can carry a tracking token, and the Referer, are logged without it
    (the token needs no case behind it: a wrong one is logged the same way)."""
    import secrets

    token = secrets.token_urlsafe(24)  # 192 bits, as the app makes them
    marker = uuid.uuid4().hex
    paths = [f"/t/{token}", f"/t/{token}/photos/1", f"//t//{token}",
             f"/open311/v2/tokens/{token}.json", f"/open311/v2/tokens/{token}.xml",
             f"/healthz/{token}", "/healthz"]
    for n, path in enumerate(paths):
        requests.get(f"{server.url}{path}?probe={marker}{n}&next=/t/{token}", timeout=30,
                     allow_redirects=False,
                     headers={"Referer": f"{server.url}/open311/v2/tokens/{token}.json"})
    lines = [access_line(server, f"probe={marker}{n}") for n in range(len(paths))]
    for line in lines:
        assert token not in line
        assert token[:12] not in line
    assert "/t/…" in lines[0]
    assert "/open311/v2/tokens/…" in lines[3]
