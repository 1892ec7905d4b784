"""Park Mailbox (园长信箱): the application factory."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask.wrappers import Response
from flask_wtf.csrf import CSRFError
from sqlalchemy import text
from werkzeug.exceptions import HTTPException, ServiceUnavailable
from werkzeug.middleware.proxy_fix import ProxyFix

from app.api.georeport_format import open311_error
from app.config import INSTANCE_DIR, ROOT_DIR, Config, config_from_env
from app.csrf import mask_csrf_tokens
from app.database import DATABASE_BUSY, RETRY_AFTER_SECONDS, configure_engine
from app.display import remember_text_size, text_size
from app.extensions import api, babel, compress, csrf, db, limiter, login, migrate, socketio
from app.formatting import register_filters
from app.i18n import current_language, remember_language, select_locale
from app.icons import icon, icon_sprite
from app.security import (
    add_security_headers,
    enforce_session_timeouts,
    make_socket_origin_check,
    refuse_foreign_origin,
    refuse_nul_characters,
)

__version__ = "0.1.0"
ROOT = ROOT_DIR
log = logging.getLogger(__name__)


def create_app(config: type[Config] | None = None, **overrides: Any) -> Flask:
    """Build the app from a config class (APP_ENV picks one by default) and overrides."""
    config = config or config_from_env()
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder=str(ROOT / "templates"),
    )
    app.config.from_object(config)
    app.config.update(overrides)
    config.finalize(app.config)
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    _init_extensions(app)
    if app.config["PROXY_COUNT"]:
        # trust X-Forwarded-For/-Proto from exactly this many proxies, and no more; outermost,
        # so that the Socket.IO middleware sees the fixed address and scheme too
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count,  # type: ignore[method-assign]
                                x_host=count)
    app.before_request(refuse_nul_characters)
    app.before_request(refuse_foreign_origin)
    app.before_request(enforce_session_timeouts)
    _register_blueprints(app)
    _register_error_pages(app)
    _register_cli(app)
    _register_jobs()

    @app.get("/healthz")
    def healthz() -> ResponseReturnValue:
        try:
            db.session.execute(text("SELECT 1"))
        except Exception:  # the point is to report any database failure
            app.logger.exception("health check: database unavailable")
            return jsonify(status="error", database="unavailable"), 503
        return jsonify(status="ok", database=db.engine.dialect.name, version=__version__)

    if app.config["BENCH_HELLO"]:
        @app.get("/bench/hello")
        def bench_hello() -> ResponseReturnValue:
            # the baseline of `make bench`: the same server stack, no work
            return "hello"

    @app.after_request
    def _headers(response: Response) -> Response:
        return remember_text_size(remember_language(add_security_headers(response)))

    @app.after_request
    def _buffer_static_text(response: Response) -> Response:
        # Static files are streamed from disk; read the small text ones (CSS, scripts, SVG)
        # into memory so that Flask-Compress compresses them whole, with br or gzip, and the
        # file is closed with the response (its streaming mode would leave the file open).
        if request.endpoint == "static" and (response.mimetype or "").startswith(
                ("text/", "application/javascript", "image/svg")) and response.status_code == 200:
            response.direct_passthrough = False
            response.make_sequence()
        return response

    return app


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    mask_csrf_tokens()  # BREACH: a different token in every response (app/csrf.py)
    csrf.init_app(app)
    compress.init_app(app)
    limiter.init_app(app)
    api.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(ROOT / "app" / "translations"))

    login.init_app(app)
    login.login_view = "staff.login"
    # "basic": a phone that moves from Wi-Fi to 4G keeps its session
    login.session_protection = "basic"

    from app.models import StaffUser
    from app.realtime.publish import install_session_hooks
    from app.realtime.queue import make_event_queue
    from app.services.bureau import warnings as _warning_job  # noqa: F401 - registers its job
    from app.services.bureau.rollups import install_rollup_hooks
    from app.services.cases.photos import install_photo_hooks
    from app.services.spots.cache import init_spot_cache

    @login.user_loader
    def _load_user(user_id: str) -> StaffUser | None:
        # the id carries the user's session nonce: logging out everywhere rotates it
        number, _, nonce = user_id.partition(":")
        if not number.isdigit():
            return None
        user = db.session.get(StaffUser, int(number))
        if user is None or not user.active or user.session_nonce != nonce:
            return None
        return user

    install_session_hooks()
    from app.services.notify.visitors import install_notification_hooks

    install_notification_hooks()  # importing it also registers the `notify.send` job
    install_photo_hooks()
    from app.services.notify import privacy as _privacy  # noqa: F401 - registers its periodic job
    install_rollup_hooks()
    init_spot_cache(app)
    # Handlers must be collected before init_app: Flask-SocketIO registers them on each
    # new server from its list, and a handler decorated after a server exists skips it.
    from app.realtime import events as _socket_handlers  # noqa: F401
    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"],
        # always passed, even as None: the extension keeps options between init_app calls
        client_manager=make_event_queue(app.config["SOCKETIO_MESSAGE_QUEUE"],
                                        app.config["SOCKETIO_CHANNEL"]),
        manage_session=False,  # the Flask session (login) is read at connect, never written
        # the handshake is accepted only from our own site (BASE_URL, ALLOWED_ORIGINS)
        cors_allowed_origins=make_socket_origin_check(app.config),
    )

    @app.context_processor
    def _template_globals() -> dict[str, Any]:
        return {"current_locale": current_language(), "request_path": request.path,
                "large_text": text_size() == "large", "icon": icon, "icon_sprite": icon_sprite}

    register_filters(app)


def _register_blueprints(app: Flask) -> None:
    from app.admin import bp as admin_bp
    from app.api.docs import bp as api_docs_bp
    from app.api.open311 import bp as open311_bp
    from app.api.v1 import bp as api_v1_bp
    from app.bureau import bp as bureau_bp
    from app.staff import bp as staff_bp
    from app.visitor import bp as visitor_bp

    app.register_blueprint(visitor_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(bureau_bp)
    app.register_blueprint(open311_bp)
    app.register_blueprint(api_docs_bp)
    api.register_blueprint(api_v1_bp)


def _register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError) -> ResponseReturnValue:
        if request.path.startswith("/api/"):
            return api_error(error)
        return render_template("error.html", code=400, error=error), 400

    def _database_busy(error: Exception) -> ResponseReturnValue:
        log.warning("database busy or away on %s %s: %s", request.method, request.path,
                    type(error).__name__)
        db.session.rollback()
        response = make_response(_http_error(ServiceUnavailable()))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    for busy in DATABASE_BUSY:
        app.register_error_handler(busy, _database_busy)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> ResponseReturnValue:
        code = error.code or 500
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


def _register_jobs() -> None:
    # importing a module registers its @periodic jobs (SLA timer, auto-close)
    from app.services.cases import operations as _casework  # noqa: F401
    from app.services.cases import sla as _sla  # noqa: F401


def _register_cli(app: Flask) -> None:
    from app.cli import register

    register(app)
