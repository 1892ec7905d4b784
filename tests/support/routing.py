"""Each test makes an app of its own, and making one was mostly Werkzeug compiling a URL
builder for each of its ~150 rules (ast + compile, 0.1 s an app, 5 minutes of a run).

A builder is Python code made from the rule alone (its text, its parts, its defaults,
whether unknown arguments become a query string); it reaches the rule's converters through
the rule it is bound to, when called. So the code made for one app's rule serves the same
rule in every later app of the test process: this keeps it, keyed by those inputs, and binds
it to each new rule as Werkzeug does. The apps are otherwise made as in production.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing.rules import Rule

_made: dict[tuple[Any, ...], Callable[..., tuple[str, str]]] = {}
_compile_builder = Rule._compile_builder


def _reused_builder(rule: Rule, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
    key = (rule.rule, tuple(rule._trace), repr(sorted((rule.defaults or {}).items())),
           tuple((name, type(converter)) for name, converter in rule._converters.items()),
           append_unknown)
    if key not in _made:
        _made[key] = _compile_builder(rule, append_unknown)
    return _made[key]


def reuse_url_builders() -> None:
    Rule._compile_builder = _reused_builder  # type: ignore[method-assign]
