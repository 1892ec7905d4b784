"""The visitor pages' large-text switch: a plain link (?text=large|normal) remembered in a
cookie that the server honours, so that it works without JavaScript."""

from __future__ import annotations

from flask import g, request
from flask.wrappers import Response

TEXT_COOKIE = "text"
TEXT_SIZES = ("normal", "large")


def text_size() -> str:
    """The text size asked for by link, else the remembered one, else normal."""
    chosen = request.args.get("text") or request.cookies.get(TEXT_COOKIE)
    return chosen if chosen in TEXT_SIZES else "normal"


def remember_text_size(response: Response) -> Response:
    """Keep a size picked by link for the next pages and visits."""
    chosen = request.args.get("text")
    if chosen in TEXT_SIZES and not g.get("text_cookie_set"):
        response.set_cookie(TEXT_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax",
                            httponly=True)
        g.text_cookie_set = True
    return response
