"""Error responses: every error, in the format of the audience that asked.

Pages get a full page in the visitor's language, `/api/` the JSON the OpenAPI document
promises, `/open311/` the GeoReport error list, `/healthz` a small JSON. The domain's
`NotFoundError` and `ForbiddenError` become 404 and 403 here, so views never catch them.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import Forbidden, HTTPException, NotFound, ServiceUnavailable

from app.api.georeport_format import open311_error
from app.database import DATABASE_BUSY, RETRY_AFTER_SECONDS
from app.extensions import api, db
from app.services.errors import ForbiddenError, NotFoundError

log = logging.getLogger(__name__)


def register_error_handlers(app: Flask) -> None:
    """Install the handlers of HTTP errors, CSRF failures, a busy database and domain errors."""
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(NotFoundError, _not_found)
    app.register_error_handler(ForbiddenError, _forbidden)
    for busy in DATABASE_BUSY:
        app.register_error_handler(busy, _database_busy)


def http_error(error: HTTPException) -> ResponseReturnValue:
    """Any HTTP error, shaped for the part of the site it happened in."""
    code = error.code or 500
    if error.response is not None:
        # the view's own answer to it (the visitor's form again on a 429)
        return error.response
    if request.path.startswith("/open311/"):
        return open311_error(error)
    if request.path.startswith("/api/"):
        return api_error(error)
    if request.path.startswith("/healthz"):
        return jsonify(error=error.name, code=code), code
    return render_template("error.html", code=code, error=error), code


def api_error(error: HTTPException) -> ResponseReturnValue:
    """An HTTP error under /api/ as the JSON the OpenAPI document promises (code, status...)."""
    payload, code, headers = api.handle_http_exception(error)
    response = jsonify(payload)
    for name, value in error.get_headers():
        if name.lower() != "content-type":  # keep Allow on 405, Retry-After on 429...
            response.headers[name] = value
    response.headers.update(headers or {})
    return response, code


def _with_message(error: HTTPException, message: str) -> HTTPException:
    # the API's JSON carries it as "message" (flask-smorest reads error.data)
    error.data = {"message": message}  # type: ignore[attr-defined]
    return error


def _not_found(error: NotFoundError) -> ResponseReturnValue:
    return http_error(_with_message(NotFound(str(error)), str(error)))


def _forbidden(error: ForbiddenError) -> ResponseReturnValue:
    return http_error(_with_message(Forbidden(str(error)), str(error)))


def _csrf_error(error: CSRFError) -> ResponseReturnValue:
    if request.path.startswith("/api/"):
        return api_error(error)
    return render_template("error.html", code=400, error=error), 400


def _database_busy(error: Exception) -> ResponseReturnValue:
    log.warning("database busy or away on %s %s: %s", request.method, request.path,
                type(error).__name__)
    db.session.rollback()
    response = make_response(http_error(ServiceUnavailable()))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
