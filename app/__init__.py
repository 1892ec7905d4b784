"""Park Mailbox (园长信箱): the application factory."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue
from flask.wrappers import Response
from sqlalchemy import text
from werkzeug.middleware.proxy_fix import ProxyFix

from app.admin.blueprint import admin_blueprint
from app.api.docs import bp as api_docs_bp
from app.api.open311 import bp as open311_bp
from app.api.v1 import bp as api_v1_bp
from app.bench_routes import register_bench_routes
from app.bureau.blueprint import bureau_blueprint
from app.cli import register_commands
from app.config import INSTANCE_DIR, ROOT_DIR, Config, config_from_env
from app.csrf import mask_csrf_tokens
from app.database import configure_engine
from app.display import remember_text_size, text_size
from app.errors import register_error_handlers
from app.extensions import api, babel, compress, csrf, db, limiter, login, migrate, socketio
from app.formatting import register_filters
from app.i18n import current_language, remember_language, select_locale
from app.icons import icon, icon_sprite
from app.ids import IdConverter, IdRule
from app.multipart import decode_multipart_without_compiling
from app.realtime.compression import decline_socket_compression
from app.realtime.events import register_socket_handlers
from app.realtime.queue import make_event_queue
from app.realtime.websocket import lighten_idle_sockets
from app.security import (
    add_security_headers,
    enforce_session_timeouts,
    make_socket_origin_check,
    refuse_foreign_origin,
    refuse_unstorable_text,
)
from app.services.accounts.staff import load_user
from app.services.cases.board import init_board_cache
from app.services.cases.summaries import MAX_BODY
from app.services.platform.hooks import install_session_hooks
from app.services.platform.jobs import init_jobs
from app.services.platform.schedule import SCHEDULE
from app.services.spots.cache import init_spot_cache
from app.staff.blueprint import staff_blueprint
from app.visitor.blueprint import visitor_blueprint

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
    # every <int:...> in a route is an id its column can hold (app/ids.py); set before any
    # blueprint adds its rules
    app.url_map.converters["int"] = IdConverter
    app.url_rule_class = IdRule  # case and photo ids are 64-bit
    app.config.from_object(config)
    app.config.update(overrides)
    config.finalize(app.config)
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    _init_extensions(app)
    app.wsgi_app = decline_socket_compression(app.wsgi_app)  # type: ignore[method-assign,assignment]
    if app.config["PROXY_COUNT"]:
        # trust X-Forwarded-For/-Proto from exactly this many proxies, and no more; outermost,
        # so that the Socket.IO middleware sees the fixed address and scheme too
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count,  # type: ignore[method-assign]
                                x_host=count)
    app.before_request(refuse_unstorable_text)
    app.before_request(refuse_foreign_origin)
    app.before_request(enforce_session_timeouts)
    _register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    init_jobs(app, SCHEDULE)

    @app.get("/healthz")
    def healthz() -> ResponseReturnValue:
        try:
            db.session.execute(text("SELECT 1"))
        except Exception:  # the point is to report any database failure
            app.logger.exception("health check: database unavailable")
            return jsonify(status="error", database="unavailable"), 503
        return jsonify(status="ok", database=db.engine.dialect.name, version=__version__)

    if app.config["BENCH_HELLO"]:
        register_bench_routes(app)

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
    decode_multipart_without_compiling()  # no expressions compiled per form (app/multipart.py)
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
    login.user_loader(load_user)

    install_session_hooks()
    init_spot_cache(app)
    init_board_cache(app)
    register_socket_handlers()  # before init_app: the new server takes them from the list
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
    lighten_idle_sockets(app, socketio.server.eio)  # memory per idle staff socket

    @app.context_processor
    def _template_globals() -> dict[str, Any]:
        return {"current_locale": current_language(), "request_path": request.path,
                "large_text": text_size() == "large", "icon": icon, "icon_sprite": icon_sprite,
                "max_body": MAX_BODY}

    register_filters(app)


def _register_blueprints(app: Flask) -> None:
    app.register_blueprint(visitor_blueprint())
    app.register_blueprint(staff_blueprint())
    app.register_blueprint(admin_blueprint())
    app.register_blueprint(bureau_blueprint())
    app.register_blueprint(open311_bp)
    app.register_blueprint(api_docs_bp)
    api.register_blueprint(api_v1_bp)
