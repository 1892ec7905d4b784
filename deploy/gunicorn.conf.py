"""gunicorn settings: one gevent worker per process (Flask-SocketIO needs one per process).

For several processes run several gunicorn instances on different ports behind a proxy
(README, "Running for a whole city"; deploy/systemd/parkmailbox@.service runs one per
port). Each runs the periodic-job loop when RUN_JOBS=1, and the job leases make every
job run once per round across all of them. Settings come from the environment:
HOST, PORT, WORKER_CONNECTIONS, GRACEFUL_TIMEOUT, ACCESS_LOG (0 turns it off).
"""

import os
import re
import resource

# Greenlets need not remember who spawned them (a debugging aid): cheaper to spawn, and
# nothing kept for it per staff socket. Read by gevent in the worker.
os.environ.setdefault("GEVENT_TRACK_GREENLET_TREE", "0")

from gunicorn.glogging import Logger  # noqa: E402

# One worker, always: the Socket.IO server keeps its clients in process memory, and a
# second worker would get half of them without a message queue between the two.
worker_class = "gevent"
workers = 1
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
proc_name = f"parkmailbox:{os.environ.get('PORT', '5000')}"
# each open staff socket holds a connection (bench/README.md: memory per idle socket)
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "20000"))
accesslog = None if os.environ.get("ACCESS_LOG", "1") == "0" else "-"
# a restart waits this long for requests in flight; open websockets are then closed and
# their clients reconnect (to this process or another) and catch up
graceful_timeout = int(os.environ.get("GRACEFUL_TIMEOUT", "10"))

# A tracking link is the visitor's only key, and other paths carry it too (Open311's
# /tokens/<token>.<fmt>) or other secrets (a director's invitation link). The access log
# shows /t/<anything> as /t/… and /tokens/<anything> as /tokens/…, and any path segment
# long enough to be a token (24 or more URL-safe characters; a tracking token has 32) as
# …, in the path, the query (?next=/t/...) and the Referer.
TRACKING_TOKEN = re.compile(r"(/(?:t|tokens)/+)[^/?#&\s]+", re.IGNORECASE)
LONG_SEGMENT = re.compile(r"(?<=/)[A-Za-z0-9_\-]{24,}(?=[/?#&.\s]|$)")


def redact(value):
    """A request line, path or URL without tracking tokens or other secrets in its path."""
    return LONG_SEGMENT.sub("…", TRACKING_TOKEN.sub(r"\1…", value))


# headers that carry clients' addresses, should a custom access_log_format name them
ADDRESS_HEADERS = ("{x-forwarded-for}i", "{x-real-ip}i", "{forwarded}i")


class RedactingLogger(Logger):
    """gunicorn's logger without personal data in the access log.

    Tracking tokens are cut out of every line, and the client is shown as the app's keyed
    client hash (app.security.client_hash, the key of the rate limits and of directors'
    blocks), never as its address. Until the worker has given it the app's secret key
    (post_worker_init), the client is shown as "-".
    """

    hash_client = None  # set per worker: address -> client hash

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "f", "{referer}i"):
            value = atoms.get(key)
            if isinstance(value, str):
                atoms[key] = redact(value)
        # REMOTE_ADDR here is the one the app saw: ProxyFix rewrites the same environ
        atoms["h"] = self.hash_client(environ.get("REMOTE_ADDR")) if self.hash_client else "-"
        for key in ADDRESS_HEADERS:
            if key in atoms:
                atoms[key] = "-"
        return atoms


logger_class = RedactingLogger
# websocket connections are long; gevent workers heartbeat independently of requests
timeout = 60
keepalive = 75  # behind nginx's upstream keepalive (60 s by default)


def on_starting(server):
    """Every open socket is a file descriptor: use all the process may have."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):  # an unlimited hard limit above the kernel's maximum
            server.log.warning("could not raise the file descriptor limit from %d", soft)
    server.log.info("file descriptor limit %d (worker_connections %d)",
                    resource.getrlimit(resource.RLIMIT_NOFILE)[0], worker_connections)


def post_worker_init(worker):
    """Give the access log the client hash, apply the garbage-collection policy for
    thousands of sockets (app/gc_policy.py), and start the periodic-job loop inside the
    worker, where the app and gevent live."""
    app = worker.wsgi
    from app import gc_policy
    from app.extensions import socketio
    from app.security import client_hash

    secret_key = app.config["SECRET_KEY"]
    worker.log.hash_client = lambda address: client_hash(address, secret_key)
    gc_policy.install(socketio.start_background_task, socketio.sleep)
    if not app.config.get("RUN_JOBS", True):
        return
    from app.services.platform.jobs import run_job_loop

    socketio.start_background_task(run_job_loop, app, socketio.sleep)


def worker_exit(server, worker):
    """Write the scan counts the worker still holds in memory (services.spots.spots.ScanBuffer)."""
    app = worker.wsgi
    if app is None or not hasattr(app, "app_context"):
        return
    from app.extensions import db
    from app.services.spots.spots import flush_scans

    with app.app_context():
        try:
            flush_scans()
        finally:
            db.session.remove()
