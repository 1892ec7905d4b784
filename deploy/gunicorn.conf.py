"""gunicorn settings: one gevent worker per process (Flask-SocketIO needs one per process).

For several processes run several gunicorn instances on different ports behind a proxy
(see README, "Running for a whole city"); each runs the periodic-job loop, and the job
leases make every job run once per round across all of them.
"""

import os

worker_class = "gevent"
workers = 1
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "20000"))
accesslog = "-"
graceful_timeout = 10
# websocket connections are long; gevent workers heartbeat independently of requests
timeout = 60


def post_worker_init(worker):
    """Start the periodic-job loop inside the worker, where the app and gevent live."""
    app = worker.wsgi
    if not app.config.get("RUN_JOBS", True):
        return
    from app.extensions import socketio
    from app.services.jobs import run_job_loop

    socketio.start_background_task(run_job_loop, app, socketio.sleep)
