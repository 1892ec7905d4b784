"""QR codes of spots: the URL they carry, as SVG (inline in posters) and as PNG."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import qrcode
import qrcode.constants
from PIL import Image

from app.models import Spot
from app.services.platform.urls import absolute_url

log = logging.getLogger(__name__)

# Q restores up to 25% of the symbol: a poster outdoors gets scratched, stickered and
# faded for years. Version 4 (33 modules) still holds a 40-character URL at this level.
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_Q
# the standard's quiet zone: four modules of white on every side
QUIET_ZONE = 4
PNG_DEFAULT_SIZE = 600
PNG_MIN_SIZE = 64
PNG_MAX_SIZE = 4000
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}  # noqa: S104 - a name, not a bind


class LocalBaseUrl(ValueError):
    """Printing a code that points at this machine would be a costly mistake."""


def spot_url(spot: Spot, base: str | None = None) -> str:
    """The URL a spot's QR code carries: BASE_URL/q/<code> (or `base`/q/<code>)."""
    return absolute_url(f"/q/{spot.code}", base)


def short_url(url: str) -> str:
    """The URL as printed under the code for typing: no scheme, no trailing slash."""
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}".rstrip("/")


def is_local_url(base_url: str) -> bool:
    """Whether the URL names this machine (localhost, 127.x, ::1)."""
    host = (urlsplit(base_url).hostname or "").lower()
    return host in LOCAL_HOSTS or host.startswith("127.") or host.endswith(".localhost")


def check_base_url(base_url: str, *, allow_local: bool) -> None:
    """Refuse a local BASE_URL for printing unless explicitly allowed."""
    if is_local_url(base_url) and not allow_local:
        raise LocalBaseUrl(
            f"BASE_URL is {base_url}: codes printed with it only work on this machine. "
            "Set BASE_URL to the public address, or allow local URLs explicitly "
            "(--allow-local, or ?allow_local=1) for a test print."
        )


@dataclass(frozen=True)
class QrMatrix:
    """The modules of a QR code including its quiet zone (True = dark)."""

    rows: list[list[bool]]

    @property
    def size(self) -> int:
        return len(self.rows)


def make_qr_matrix(url: str) -> QrMatrix:
    """Encode the URL with error correction Q and a four-module quiet zone."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=QUIET_ZONE)
    code.add_data(url)
    code.make(fit=True)
    return QrMatrix(rows=[list(row) for row in code.get_matrix()])


def render_qr_svg(url: str, *, css_class: str = "qr") -> str:
    """An SVG of the code (quiet zone included) that scales to any size sharply."""
    matrix = make_qr_matrix(url)
    path: list[str] = []
    for y, row in enumerate(matrix.rows):
        x = 0
        while x < matrix.size:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < matrix.size and row[x]:
                x += 1
            # one rectangle per run of dark modules: no hairline seams between modules
            path.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
    size = matrix.size
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" viewBox="0 0 {size} {size}"'
        f' shape-rendering="crispEdges" role="img" aria-label="QR">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(path)}"/></svg>'
    )


def render_qr_png(url: str, size: int = PNG_DEFAULT_SIZE) -> bytes:
    """A PNG of exactly size x size pixels (clamped), modules on whole pixels."""
    size = max(PNG_MIN_SIZE, min(PNG_MAX_SIZE, size))
    matrix = make_qr_matrix(url)
    module = max(1, size // matrix.size)
    symbol = Image.new("1", (matrix.size, matrix.size), 1)
    symbol.putdata([0 if dark else 1 for row in matrix.rows for dark in row])
    symbol = symbol.resize((matrix.size * module,) * 2, Image.Resampling.NEAREST)
    # the leftover pixels widen the quiet zone, centred
    image = Image.new("1", (size, size), 1)
    offset = (size - symbol.width) // 2
    image.paste(symbol, (offset, offset))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    log.info("qr png rendered: %d px, %d modules", size, matrix.size)
    return buffer.getvalue()
