"""The server's garbage-collection policy (app/gc_policy.py): what survives a full collection
is frozen, and a refresh frees the cycles that died while frozen."""

from __future__ import annotations

import gc
import weakref

import pytest

from app import gc_policy


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


@pytest.fixture
def policy():
    tasks = []
    gc_policy.install(tasks.append, lambda _seconds: None)
    try:
        yield tasks
    finally:
        gc.callbacks.remove(gc_policy.freeze_survivors)
        gc.unfreeze()
        gc.collect()


def test_install_freezes_what_is_loaded_and_starts_the_refresh_loop(policy):
    assert gc.get_freeze_count() > 0
    assert len(policy) == 1
    gc_policy.install(policy.append, lambda _seconds: None)  # a second install changes nothing
    assert len(policy) == 1
    assert gc.callbacks.count(gc_policy.freeze_survivors) == 1


def test_survivors_of_a_full_collection_are_frozen(policy):
    kept = Node()
    before = gc.get_freeze_count()
    gc.collect()  # a full collection: `kept` survives it
    assert gc.get_freeze_count() > before
    assert gc.is_tracked(kept)


def test_a_refresh_frees_cycles_that_died_while_frozen(policy):
    node = Node()
    gc.collect()  # frozen now
    dead = weakref.ref(node)
    del node
    gc.collect()
    assert dead() is not None, "a frozen cycle is not walked by ordinary collections"
    gc_policy.refresh()
    assert dead() is None


def test_young_collections_freeze_nothing(policy):
    before = gc.get_freeze_count()
    keep = [Node() for _ in range(10)]
    gc.collect(0)
    assert gc.get_freeze_count() == before
    assert keep
