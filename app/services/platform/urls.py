"""Absolute URLs: the one place that joins a path to the site's public address (BASE_URL).

QR codes, `points list`, Open311 discovery, e-mails and alerts all go through
`absolute_url`, so that a site served elsewhere (`make run PORT=5077` sets BASE_URL from
HOST/PORT) prints, encodes and sends the address it is really at.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for


def base_url() -> str:
    """BASE_URL without a trailing slash, e.g. https://park.example.org."""
    return str(current_app.config["BASE_URL"]).rstrip("/")


def absolute_url(path: str, base: str | None = None) -> str:
    """`path` (starting with /) on the site's public address, or on `base` when given."""
    root = (base if base is not None else base_url()).rstrip("/")
    return root + ("" if path.startswith("/") else "/") + path


def absolute_url_for(endpoint: str, **values: Any) -> str:
    """url_for's path for the endpoint, made absolute on BASE_URL (not on the request's host:
    a link that leaves the site must name its public address)."""
    return absolute_url(url_for(endpoint, **values))


__all__ = ["absolute_url", "absolute_url_for", "base_url"]
