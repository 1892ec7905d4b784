"""Staff sockets open without per-message compression."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def decline_socket_compression(wsgi_app: WSGIApp) -> WSGIApp:
    """Take the browser's offer of permessage-deflate out of a websocket handshake.

    Browsers offer it on every websocket, and Engine.IO's websocket server (simple-websocket)
    accepts it: from the first ping on, each socket then keeps a zlib compressor and its
    window, 186 KB an idle staff socket against 78 KB without (bench/README.md, "Memory per
    staff socket"). The staff page's messages are small JSON, which compression hardly
    shrinks. A server may decline an extension (RFC 6455, 9.1): the socket opens plain.
    """

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return wsgi_app(environ, start_response)

    return app
