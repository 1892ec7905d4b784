"""The monthly topic (每月一题): the problems that recur in the month's cases across parks."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from app.bureau.blueprint import bp
from app.bureau.decorators import Scope, bureau_required
from app.bureau.views import requested_period
from app.services.bureau.topics import MIN_CASES, month_topics


@bp.get("/topics")
@bureau_required
def topics(scope: Scope) -> ResponseReturnValue:
    start, _end, _month = requested_period()
    month = start.replace(day=1)
    return render_template("bureau/topics.html", scope=scope,
                           result=month_topics(scope.parks, month),
                           month=month.strftime("%Y-%m"), min_cases=MIN_CASES)
