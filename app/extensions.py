"""Flask extensions, created unbound here and bound to the app in create_app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Response, session
from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from app.security import client_key

# constraint names that Alembic can find again on every database
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# Models subclass this: Flask-SQLAlchemy's db.Model, seen by mypy as the typed Base.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
socketio = SocketIO()
csrf = CSRFProtect()


class StaffLoginManager(LoginManager):
    """Flask-Login, its session protection kept to sessions someone is logged in to.

    In "basic" mode Flask-Login marks every session that holds anything but was not started
    by a login from this browser as "not fresh", logged in or not: every visitor's report
    rewrote their session cookie (it holds the form's CSRF token) with `_fresh: false`, a
    signature and a Set-Cookie for nothing. No one is logged in to a visitor's session, and
    the app gives no remember-me cookie, so there is nothing to protect."""

    def _session_protection_failed(self) -> bool:
        if "_user_id" not in session:
            return False
        return bool(super()._session_protection_failed())


login = StaffLoginManager()
limiter = Limiter(key_func=client_key)
babel = Babel()


class PageCompress(Compress):
    """Flask-Compress, for the error pages people read as well.

    Flask-Compress leaves every answer outside 2xx as it is; but a visitor whose form comes
    back with a problem (400, the whole form again), or who meets a code no longer in use
    (404/410) or a "slow down" page (429), loads it on the same weak signal as the form.
    """

    def after_request(self, response: Response | None) -> Response:
        if response is None or not 400 <= response.status_code < 500:
            return super().after_request(response)
        status = response.status_code
        response.status_code = 200  # what Flask-Compress will compress
        try:
            compressed = super().after_request(response)
        finally:
            response.status_code = status
        compressed.status_code = status
        return compressed


compress = PageCompress()


class ParkApi(Api):
    """flask-smorest's Api; HTTP errors stay with the app's handler (it would take them all)."""

    def _register_error_handlers(self) -> None:
        pass


api = ParkApi()
