"""What the outbox jobs share: drain every due row, round after round, within a budget."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

# a job round sends until its outbox has nothing due, or for this long (then the next
# round goes on); rows claimed by another process meanwhile are skipped, never sent twice
DRAIN_SECONDS = 20.0


def drain(due_ids: Callable[[datetime, int], list[int]],
          deliver: Callable[[int, datetime], str | None], now: datetime, limit: int,
          budget: float = DRAIN_SECONDS) -> list[str | None]:
    """One attempt at each due row, `limit` ids at a time, until a batch comes back short
    or the budget is spent; the states after each attempt. Each attempt moves its row out
    of the due ones (sent, failed, retrying later or claimed), so no row comes back."""
    deadline = time.monotonic() + budget
    states: list[str | None] = []
    while True:
        ids = due_ids(now, limit)
        states.extend(deliver(row_id, now) for row_id in ids)
        if len(ids) < limit or time.monotonic() >= deadline:
            return states
