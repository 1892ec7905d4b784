"""A park's public board: GET /p/<park_code> ("you said, we did"), no login, no script."""

from __future__ import annotations

from flask import make_response, render_template
from flask.typing import ResponseReturnValue

from app.i18n import current_language
from app.services.cases.board import park_board
from app.services.cases.workflow import STATUS_LABELS
from app.visitor.blueprint import bp


@bp.get("/p/<park_code>")
def board(park_code: str) -> ResponseReturnValue:
    board = park_board(park_code)  # NotFoundError: 404
    response = make_response(render_template(
        "visitor/board.html", board=board, locale=current_language(),
        status_label=STATUS_LABELS))
    # shared caches may keep it a minute (the page differs by language: ?lang= or cookie)
    response.headers["Cache-Control"] = "public, max-age=60"
    response.vary.add("Cookie")
    return response
