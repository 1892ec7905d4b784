"""What the outbox jobs share: drain every due row, round after round, within a budget."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

# a job round sends until its outbox has nothing due, or for this long (then the next
# round goes on); rows claimed by another process meanwhile are skipped, never sent twice
DRAIN_SECONDS = 20.0


# one attempt at each of these rows; the state of each after (None: another sender has it)
Deliver = Callable[[list[int], datetime], list[str | None]]


def one_by_one(deliver: Callable[[int, datetime], str | None]) -> Deliver:
    """A sender of one row as a sender of several, one after another."""
    def deliver_each(row_ids: list[int], now: datetime) -> list[str | None]:
        return [deliver(row_id, now) for row_id in row_ids]
    return deliver_each


def drain(due_ids: Callable[[datetime, int], list[int]], deliver: Deliver, now: datetime,
          limit: int, budget: float = DRAIN_SECONDS) -> list[str | None]:
    """One attempt at each due row, `limit` ids at a time, until a batch comes back short
    or the budget is spent; the states after each attempt. Each attempt moves its row out
    of the due ones (sent, failed, retrying later or claimed), so no row comes back."""
    deadline = time.monotonic() + budget
    states: list[str | None] = []
    while True:
        ids = due_ids(now, limit)
        states.extend(deliver(ids, now))
        if len(ids) < limit or time.monotonic() >= deadline:
            return states
