"""The visitor form's spot cache: fresh in this process at once, elsewhere within its time,
and never the judge of what is stored (services.spots.cache)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

import app.services.spots.cache as module
from app.models import Case
from app.services.spots.cache import MAX_SPOTS, SpotCache, spot_cache, spread_share
from tests.conftest import csrf_token, sql_statements
from tests.support.pages import page_text


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def another_process(db, statement: str, **params) -> None:
    """A change made by another server process: straight to the database, not through
    this process's session (so nothing here hears of it)."""
    engine = create_engine(db.engine.url)
    with engine.begin() as connection:
        connection.execute(text(statement), params)
    engine.dispose()
    db.session.commit()  # this process's next request starts afresh (a new session)


def test_a_fresh_spot_is_served_from_memory(db, spot):
    cache = SpotCache(clock=Clock())
    first = cache.get(spot.code, 5)
    with sql_statements(db.engine) as seen:
        again = cache.get(spot.code, 5)
    assert again == first
    assert again is not None
    assert (again.id, again.park.name("en"), [c.code for c in again.categories]) == (
        spot.id, "RT Park", ["toilets", "noise"])
    assert seen == []


def test_a_change_elsewhere_shows_once_the_entry_is_older_than_its_time(db, spot):
    clock = Clock()
    cache = SpotCache(clock=clock, share=lambda: 1.0)  # kept all of its time
    assert cache.get(spot.code, 5).name("en") == "North gate toilet"
    another_process(db, "UPDATE points SET name_en = 'South gate' WHERE id = :id", id=spot.id)
    clock.now += 4.9
    assert cache.get(spot.code, 5).name("en") == "North gate toilet"
    clock.now += 0.2
    assert cache.get(spot.code, 5).name("en") == "South gate"


def test_a_spot_is_kept_for_its_share_of_the_time(db, spot):
    clock = Clock()
    cache = SpotCache(clock=clock, share=lambda: 0.5)
    cache.get(spot.code, 5)
    clock.now += 2.4
    with sql_statements(db.engine) as seen:
        cache.get(spot.code, 5)
    assert seen == []
    clock.now += 0.2
    with sql_statements(db.engine) as seen:
        cache.get(spot.code, 5)
    assert seen, "kept half of 5 s, the spot is read again after 2.5 s"


def test_spots_read_together_are_read_again_at_different_moments() -> None:
    """Every spot is kept between half and all of its time, spread out: spots read together
    (when the server starts) are not all read again at once."""
    shares = [spread_share() for _ in range(1000)]
    assert all(0.5 <= share <= 1.0 for share in shares)
    assert min(shares) < 0.55
    assert max(shares) > 0.95
    assert len({round(share, 2) for share in shares}) > 40


def test_a_change_in_this_process_shows_at_once(client, db, spot, unit):
    assert "Noise" in client.get(f"/q/{spot.code}?lang=en").get_data(as_text=True)
    unit.categories[1].name_en = "Loud music"
    db.session.commit()
    page = client.get(f"/q/{spot.code}?lang=en").get_data(as_text=True)
    assert "Loud music" in page
    unit.categories[1].active = False
    db.session.commit()
    assert "Loud music" not in page_text(client, f"/q/{spot.code}?lang=en", "North gate toilet",
                                    "Toilets")


def test_a_rolled_back_change_keeps_the_cache(db, spot):
    cache, code = spot_cache(), spot.code
    cache.get(code, 5)
    spot.name_en = "never saved"
    db.session.flush()
    db.session.rollback()
    with sql_statements(db.engine) as seen:
        assert cache.get(code, 5).name("en") == "North gate toilet"
    assert seen == []


def test_a_spot_read_while_a_change_commits_is_not_kept(db, spot):
    cache = SpotCache(clock=Clock())
    real_load = module._load

    def load_then_change(code):
        loaded = real_load(code)
        cache.clear()  # what a commit in this process does meanwhile
        return loaded

    module._load = load_then_change
    try:
        cache.get(spot.code, 5)
    finally:
        module._load = real_load
    with sql_statements(db.engine) as seen:
        cache.get(spot.code, 5)
    assert seen, "the spot read before the change must be read again"


def test_unknown_codes_are_not_kept_and_the_cache_is_bounded(db, spot):
    cache = SpotCache(clock=Clock())
    assert cache.get("NOSUCHCODE", 5) is None
    with sql_statements(db.engine) as seen:
        assert cache.get("NOSUCHCODE", 5) is None
    assert seen, "a miss goes to the database every time"
    cached = cache.get(spot.code, 5)
    # as many other spots as it may hold, then one more
    cache._spots = {f"other{number}": (0.0, 0, cached) for number in range(MAX_SPOTS)}
    cache.get(spot.code, 5)
    assert len(cache._spots) <= MAX_SPOTS
    assert spot.code in cache._spots


def test_zero_seconds_always_reads_the_database(db, spot):
    cache = SpotCache(clock=Clock())
    cache.get(spot.code, 0)
    with sql_statements(db.engine) as seen:
        cache.get(spot.code, 0)
    assert seen


def test_a_spot_retired_by_another_process_gets_no_case_while_its_form_is_cached(
        client, db, spot):
    token = csrf_token(client, f"/q/{spot.code}")  # the form, now cached
    another_process(db, "UPDATE points SET active = :off WHERE id = :id", off=False,
                    id=spot.id)
    assert client.get(f"/q/{spot.code}").status_code == 200  # still shown for a moment
    answer = client.post(f"/q/{spot.code}", data={
        "csrf_token": token, "category": "toilets", "body": "厕所没有纸了"})
    assert answer.status_code == 410
    assert db.session.query(Case).count() == 0


@pytest.mark.config(SPOT_CACHE_SECONDS=0)
def test_with_the_cache_off_a_retired_spot_is_410_at_once(client, db, spot):
    client.get(f"/q/{spot.code}")
    another_process(db, "UPDATE points SET active = :off WHERE id = :id", off=False,
                    id=spot.id)
    assert client.get(f"/q/{spot.code}").status_code == 410


def test_a_spot_is_read_as_its_models_say(db, spot):
    """The cache reads rows, not models: what it keeps is what the models hold, the unit's
    active categories in their order (sort order, then the order they were made)."""
    unit = spot.park.unit
    toilets, noise = unit.categories
    toilets.sort_order, noise.sort_order = 5, 1
    unit.timezone = "Asia/Urumqi"
    db.session.commit()
    kept = SpotCache(clock=Clock()).get(spot.code, 5)
    assert kept is not None
    assert (kept.code, kept.active, kept.name("zh_CN"), kept.unit_id, kept.timezone) == (
        spot.code, True, spot.name_zh, unit.id, "Asia/Urumqi")
    assert (kept.park.id, kept.park.name("zh_CN"), kept.park.park_code) == (
        spot.park.id, spot.park.name_zh, spot.park.park_code or "")
    assert [(c.id, c.code, c.icon, c.name("en")) for c in kept.categories] == [
        (noise.id, "noise", noise.icon, noise.name_en),
        (toilets.id, "toilets", toilets.icon, toilets.name_en)]
    noise.sort_order = toilets.sort_order  # a tie: the one made first comes first
    db.session.commit()
    first, second = sorted([toilets, noise], key=lambda c: c.id)
    assert [c.code for c in SpotCache(clock=Clock()).get(spot.code, 5).categories] == [
        first.code, second.code]
    noise.active = False
    db.session.commit()
    assert [c.code for c in SpotCache(clock=Clock()).get(spot.code, 5).categories] == [
        "toilets"]
    assert SpotCache(clock=Clock()).get("no-such-code", 5) is None
