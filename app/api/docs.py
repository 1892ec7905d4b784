"""The browsable API documentation (/api/docs): Swagger UI served by the app, no CDN."""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask.typing import ResponseReturnValue

bp = Blueprint("api_docs_page", __name__, url_prefix="/api")


@bp.get("/docs")
def docs() -> ResponseReturnValue:
    return render_template("api/docs.html",
                           spec_url=url_for("api-docs.openapi_json"))
