"""Garbage collection for a server process that holds thousands of staff sockets.

CPython's full collections walk every object the collector tracks. A worker holding 1,000
staff sockets besides the app's modules, mappers and templates paused up to 240 ms per
full collection (bench, 40 submissions/s: six in 40 s), longer than a staff phone should
wait for a message. So in a server process:

- at start, everything loaded so far is frozen (`gc.freeze`): never walked again;
- after every full collection, its survivors (open sockets, caches) are frozen too, so the
  next one walks only what is new since;
- every REFRESH_SECONDS everything is unfrozen, collected once and frozen again, which frees
  what closed sockets and finished requests left in the frozen set: one pause per period
  instead of one every few seconds, and memory stays bounded.

Objects still free themselves by reference counting while frozen; only reference cycles wait
for the refresh.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

REFRESH_SECONDS = 600.0


def freeze_survivors(phase: str, info: dict[str, Any]) -> None:
    """gc callback: after a full collection, what survived it is frozen."""
    if phase == "stop" and info.get("generation") == 2:
        gc.freeze()


def refresh() -> float:
    """Unfreeze, collect everything once, freeze again; returns the pause in seconds."""
    started = time.perf_counter()
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return time.perf_counter() - started


def install(start_task: Callable[..., Any], sleep: Callable[[float], Any],
            period: float = REFRESH_SECONDS) -> None:
    """Apply the policy to this process (once); `start_task(fn)` runs the refresh loop
    beside the server (a greenlet under gevent)."""
    if freeze_survivors in gc.callbacks:
        return
    gc.collect()
    gc.freeze()
    gc.callbacks.append(freeze_survivors)

    def refresh_loop() -> None:
        while True:
            sleep(period)
            pause = refresh()
            log.info("garbage collector refreshed: %.0f ms, %d objects frozen",
                     pause * 1000, gc.get_freeze_count())

    start_task(refresh_loop)
