"""Each test makes an app of its own, and flask-smorest wrote the API's OpenAPI document
again for each (every view's schemas resolved and deep-copied: 40% of making an app).

The document depends on flask-smorest's settings (API_TITLE, API_SPEC_OPTIONS, ...) and on
the blueprint documented; the app's one Api (`app.extensions.api`) is given a new app and
a new document by each create_app. This keeps the first document written for the same
settings and blueprint in the test process and gives it to each later app, doing the rest
of the registration as flask-smorest does (the extension's bookkeeping, the blueprint's
routes, the `openapi` CLI commands, the document's own routes). Tests only read the
document; a test that read a different one would show it (tests/api/test_openapi*.py).
"""

from __future__ import annotations

from typing import Any

from flask_smorest import Api, Blueprint
from flask_smorest.spec import openapi_cli

# settings -> the blueprint documented, the document and its two plugins
_written: dict[str, tuple[str, Any, Any, Any]] = {}
_init_spec = Api._init_spec
_register_blueprint = Api.register_blueprint


def _settings(api: Api) -> str:
    assert api.config is not None
    return repr(sorted((key, value) for key, value in api.config.items()
                       if key.startswith(("API_", "OPENAPI_"))))


def _reused_spec(api: Any, **kwargs: Any) -> None:
    kept = _written.get(_settings(api))
    if kept is None:
        api._reused = None
        _init_spec(api, **kwargs)
        return
    api._reused, api.spec, api.flask_plugin, api.ma_plugin = kept
    api._app.cli.add_command(openapi_cli)


def _reused_blueprint(api: Any, blp: Blueprint, *, parameters: Any = None,
                      **options: Any) -> None:
    name = options.get("name", blp.name)
    if api._reused == name:
        api._app.extensions["flask-smorest"]["blp_name_to_api"][name] = api
        api._app.register_blueprint(blp, **options)
        return
    # the app documents one blueprint; a second would be written into a shared document
    assert api._reused is None, f"{name}: only {api._reused} is documented by reuse"  # noqa: S101
    _register_blueprint(api, blp, parameters=parameters, **options)
    _written.setdefault(_settings(api), (name, api.spec, api.flask_plugin, api.ma_plugin))


def reuse_openapi_documents() -> None:
    Api._init_spec = _reused_spec
    Api.register_blueprint = _reused_blueprint
