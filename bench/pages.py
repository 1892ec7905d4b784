"""Benchmark: transfer size and server time of the visitor pages, against /healthz.

    .venv/bin/python -m bench.pages [--requests 50]

Serves the app as in production (gunicorn + gevent, SQLite with the demo data) on a free
loopback port. Transfer size is what goes over the wire with `Accept-Encoding: br, gzip`
(headers + compressed body; for a page, plus the stylesheet, scripts and icons it links).
Server time is the median round trip over loopback; the machine is shared and noisy, so
the figures that mean something are the ratios against the trivial /healthz answer
measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin

import requests

from tests.support.servers import FLASK, ROOT, prepare_database, running_server, server_env

ASSETS = re.compile(r'<(?:link|script|img)\b[^>]*(?:href|src)="([^"]+)"')
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ENCODING = {"Accept-Encoding": "br, gzip"}


def wire_size(response: requests.Response) -> int:
    """Bytes as transferred: the status line, the headers and the still-compressed body."""
    body = response.raw.read(decode_content=False)
    head = len(f"HTTP/1.1 {response.status_code} {response.reason}\r\n") + sum(
        len(f"{name}: {value}\r\n") for name, value in response.headers.items()) + 2
    return head + len(body)


def fetch(session: requests.Session, method: str, url: str, **kwargs: object
          ) -> tuple[float, int, requests.Response]:
    started = time.perf_counter()
    response = session.request(method, url, headers=ENCODING, stream=True,
                               allow_redirects=False, **kwargs)  # type: ignore[arg-type]
    size = wire_size(response)
    return time.perf_counter() - started, size, response


def page_weight(session: requests.Session, url: str, html: str) -> int:
    """The page's linked assets (stylesheet, scripts, icons), as transferred once."""
    total = 0
    for asset in sorted(set(ASSETS.findall(html))):
        _elapsed, size, _response = fetch(session, "GET", urljoin(url, asset))
        total += size
    return total


def median_time(session: requests.Session, method: str, url: str, count: int,
                **kwargs: object) -> float:
    return statistics.median(fetch(session, method, url, **kwargs)[0] for _ in range(count))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50, help="requests per page")
    count = parser.parse_args().requests
    with tempfile.TemporaryDirectory() as folder:
        env = server_env(f"sqlite:///{folder}/bench.db", Path(folder) / "instance")
        prepare_database(env)
        spots = json.loads(subprocess.run(
            [str(FLASK), "--app", "wsgi", "points", "list", "--json"], cwd=ROOT, env=env,
            check=True, capture_output=True, timeout=60).stdout)
        with running_server(env, Path(folder) / "server.log") as server:
            results = measure(server.url, f"/q/{spots[0]['code']}", count)
    baseline = results["baseline /healthz"]
    print(f"{'page':32} {'HTML':>8} {'+assets':>8} {'median ms':>10} {'x baseline':>11}")
    for name, figures in results.items():
        ratio = figures["seconds"] / baseline["seconds"]
        print(f"{name:32} {figures['html']:>8} {figures['assets']:>8} "
              f"{figures['seconds'] * 1000:>10.2f} {ratio:>11.2f}")
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "pages.json").write_text(json.dumps(results, indent=2))


def measure(base: str, form_path: str, count: int) -> dict[str, dict[str, float]]:
    session = requests.Session()
    results: dict[str, dict[str, float]] = {}

    def record(name: str, method: str, path: str, **kwargs: object) -> requests.Response:
        url = base + path
        _elapsed, size, response = fetch(session, method, url, **kwargs)
        results[name] = {"html": size, "assets": 0,
                         "seconds": median_time(session, method, url, count, **kwargs)}
        return response

    record("baseline /healthz", "GET", "/healthz")
    # the first load as a visitor's phone makes it: the page and everything it links
    plain = requests.get(base + form_path, timeout=10)
    token = CSRF.search(plain.text).group(1)  # type: ignore[union-attr]
    record("visitor form /q/<code>", "GET", form_path)
    results["visitor form /q/<code>"]["assets"] = page_weight(
        requests.Session(), base + form_path, plain.text)
    record("form error state (400)", "POST", form_path,
           data={"csrf_token": token, "category": "noise", "body": ""},
           cookies=plain.cookies)
    submitted = requests.post(base + form_path, cookies=plain.cookies, timeout=10, data={
        "csrf_token": token, "category": "noise", "body": "广场舞音响太响"})
    track_path = submitted.url.removeprefix(base)
    record("tracking page /t/<token>", "GET", track_path)
    results["tracking page /t/<token>"]["assets"] = page_weight(
        requests.Session(), submitted.url, submitted.text)
    record("home page /", "GET", "/")
    return results


if __name__ == "__main__":
    main()
