"""Language choice: ?lang= link (remembered in a cookie), then Accept-Language, then zh-CN."""

from __future__ import annotations

from flask import current_app, g, has_request_context, request
from flask.wrappers import Response
from flask_babel import get_locale

LANG_COOKIE = "lang"
# Babel expands zh_CN to zh_Hans_CN, so the Chinese catalog lives in translations/zh/,
# which gettext finds for either spelling.


def select_locale() -> str:
    if not has_request_context():  # CLI, background jobs: the default language
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    languages = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen:
        chosen = chosen.replace("-", "_")
        for language in languages:
            if chosen.lower() == language.lower() or chosen.lower() == language[:2].lower():
                return str(language)
    best = request.accept_languages.best_match(["zh_CN", "zh", "en"])
    if best in ("zh", "zh_CN"):
        return "zh_CN"
    if best == "en":
        return "en"
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def current_language() -> str:
    """The page's language as the app names it: "zh_CN" or "en"."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh_CN"


def remember_language(response: Response) -> Response:
    """Keep a language picked by link for the next pages."""
    chosen = request.args.get("lang")
    if chosen and not g.get("lang_cookie_set"):
        response.set_cookie(LANG_COOKIE, select_locale(), max_age=365 * 24 * 3600,
                            samesite="Lax", httponly=True)
        g.lang_cookie_set = True
    return response
