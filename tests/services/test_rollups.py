"""The rollups kept by the flush hooks equal a full recomputation, whatever happens to cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from app.database import write_transaction
from app.extensions import db
from app.models import Case, Zone, rollup_daily, rollup_monthly, rollup_zone_daily
from app.services.bureau.rollups import recompute_rollups
from tests.conftest import make_case, make_unit
from tests.support.cases import add_case

START = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)

# (source, channel) as the app writes them: every intake channel, and staff's without one
INTAKES = [("qr", None), ("hotline", None), ("staff", "phone"), ("staff", "counter"),
           ("staff", "patrol"), ("staff", "other"), ("staff", None), ("api", None),
           ("open311", None)]
ROLLUPS = (rollup_daily, rollup_monthly, rollup_zone_daily)

moments = st.integers(min_value=0, max_value=60 * 24 * 40).map(
    lambda m: START + timedelta(minutes=m))
delays = st.one_of(st.none(), st.integers(min_value=0, max_value=60 * 24 * 10))
new_case = st.fixed_dictionaries({
    "op": st.just("insert"),
    "point": st.integers(0, 2),
    "category": st.integers(0, 1),
    "created": moments,
    "response": delays,
    "due": delays,
    "resolved": delays,
    "satisfaction": st.one_of(st.none(), st.integers(1, 5)),
    "status": st.sampled_from(["new", "in_progress", "resolved", "closed", "spam"]),
    "intake": st.integers(0, len(INTAKES) - 1),
    "zone": st.integers(0, 2),  # 0: through no zone
})
change = st.fixed_dictionaries({
    "op": st.just("update"),
    "which": st.integers(0, 1000),
    "field": st.sampled_from(["response", "due", "resolved", "satisfaction", "status",
                              "reopen", "me_too", "category", "point", "created", "delete",
                              "twice", "intake", "zone"]),
    "value": st.integers(0, 60 * 24 * 10),
})


def table_rows(table):
    keys = [c.name for c in table.primary_key.columns]
    rows = db.session.execute(select(table).order_by(*[table.c[k] for k in keys])).mappings()
    # a row whose counts all went back to zero is the same as no row
    return [dict(row) for row in rows if any(row[m] for m in row.keys() if m not in keys)]


def later(moment, minutes):
    return None if minutes is None else moment + timedelta(minutes=minutes)


def zone_id(zones, number):
    return zones[number - 1].id if number else None


def apply(op, spots, categories, zones):
    if op["op"] == "insert":
        created = op["created"]
        source, channel = INTAKES[op["intake"]]
        add_case(spots[op["point"]], categories[op["category"]], created,
                 first_response_at=later(created, op["response"]),
                 reply_due_at=later(created, op["due"]),
                 resolved_at=later(created, op["resolved"]),
                 satisfaction=op["satisfaction"], status=op["status"], source=source,
                 channel=channel, zone_id=zone_id(zones, op["zone"]))
        return
    ids = db.session.scalars(select(Case.id).order_by(Case.id)).all()
    if not ids:
        return
    case_id = ids[op["which"] % len(ids)]
    value = op["value"]
    with write_transaction() as session:
        case = session.get(Case, case_id)
        field = op["field"]
        if field == "delete":
            session.delete(case)
        elif field == "response":
            case.first_response_at = case.created_at + timedelta(minutes=value)
        elif field == "due":
            case.reply_due_at = case.created_at + timedelta(minutes=value)
        elif field == "resolved":
            case.resolved_at = (None if value % 3 == 0
                                else case.created_at + timedelta(minutes=value))
        elif field == "satisfaction":
            case.satisfaction = value % 5 + 1
        elif field == "status":
            case.status = ["new", "acknowledged", "in_progress", "resolved", "closed",
                           "spam"][value % 6]
        elif field == "reopen":
            case.reopen_count += 1
        elif field == "me_too":
            case.me_too_count = value % 4
        elif field == "category":
            case.category_id = categories[value % 2].id
        elif field == "point":
            spot = spots[value % 3]
            case.spot_id, case.park_id, case.unit_id = spot.id, spot.park_id, spot.park.unit_id
        elif field == "created":
            case.created_at = START + timedelta(minutes=value * 3)
        elif field == "intake":
            case.source, case.channel = INTAKES[value % len(INTAKES)]
        elif field == "zone":
            case.zone_id = zone_id(zones, value % 3)
        elif field == "twice":  # two flushes in one transaction
            case.satisfaction = 1
            session.flush()
            case.satisfaction = 5
            case.reopen_count += 2


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(new_case, change), min_size=1, max_size=25))
def test_rollups_equal_a_full_recomputation(app, operations):
    units = _units()
    spots = [units[0].parks[0].spots[0], units[0].parks[0].spots[1], units[1].parks[0].spots[0]]
    categories = units[0].categories
    zones = _zones()
    with write_transaction() as session:
        session.execute(delete(Case))
        for table in ROLLUPS:
            session.execute(delete(table))
    for op in operations:
        apply(op, spots, categories, zones)
    incremental = [table_rows(table) for table in ROLLUPS]
    with write_transaction():
        recompute_rollups()  # in SQL: an implementation independent of the hooks' Python
    assert [table_rows(table) for table in ROLLUPS] == incremental


def _units():
    from app.models import Spot, Unit

    units = list(db.session.scalars(select(Unit).order_by(Unit.id)))
    if units:
        return units
    first = make_unit("RT")
    first.parks[0].spots.append(Spot(code="second-spot", name_zh="南门", name_en="South gate"))
    db.session.commit()
    return [first, make_unit("XY")]


def _zones():
    zones = list(db.session.scalars(select(Zone).order_by(Zone.id)))
    if zones:
        return zones
    zones = [Zone(code=code, name_zh=code, message_zh=code, starts_on=date(2026, 1, 1),
                  ends_on=date(2026, 12, 31)) for code in ("flood", "snow")]
    db.session.add_all(zones)
    db.session.commit()
    return zones


def test_a_submitted_case_is_counted_at_once(app, spot):
    make_case(spot)
    make_case(spot, category_code="noise")
    rows = db.session.execute(select(rollup_monthly.c.category_id, rollup_monthly.c.cases)
                              .order_by(rollup_monthly.c.category_id)).all()
    assert [cases for _category, cases in rows] == [1, 1]


def test_a_rolled_back_change_leaves_the_rollups_alone(app, spot):
    make_case(spot)
    before = table_rows(rollup_daily)
    try:
        with write_transaction() as session:
            case = session.scalar(select(Case))
            case.satisfaction = 5
            session.flush()
            raise RuntimeError("changed my mind")
    except RuntimeError:
        pass
    assert table_rows(rollup_daily) == before
