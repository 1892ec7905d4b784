"""The HTTP server under the local stand-ins (push service, robots, SMS gateway)."""

from __future__ import annotations

from http.server import ThreadingHTTPServer


class StandInServer(ThreadingHTTPServer):
    """A threaded server with a listen backlog a real service would have. The standard
    library's is 5: with the app posting 16 pushes side by side, the connections past the
    backlog were reset (ConnectionResetError), which no push service does under that load."""

    request_queue_size = 128
    daemon_threads = True
