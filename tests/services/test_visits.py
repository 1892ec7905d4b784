"""Park visits import: every bad row named, nothing half-imported, a day imported again replaced."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete as sa_delete
from sqlalchemy import false, func, select

from app.extensions import db
from app.models import AuditLog, Park, ParkVisits
from app.services.bureau.analytics import compare_parks
from app.services.bureau.csv_import import CsvImportError
from app.services.bureau.visits import import_park_visits, visits_known
from app.services.errors import DomainError

HEADER = "park,date,visits\n"
GOOD = HEADER + ("RT公园,2026-04-01,12000\n"
                 "RT Park,2026/04/02,\"13,500\"\n"
                 "XY公园,2026-04-01,800\n")


def parks():
    return list(db.session.scalars(select(Park).order_by(Park.id)))


def stored():
    return {(row.park_id, row.day): row.visits for row in db.session.scalars(select(ParkVisits))}


def test_imports_good_rows(app, unit, other_unit):
    assert import_park_visits(GOOD, parks(), user_id=None) == 3
    rt, xy = unit.parks[0].id, other_unit.parks[0].id
    assert stored() == {(rt, date(2026, 4, 1)): 12000, (rt, date(2026, 4, 2)): 13500,
                        (xy, date(2026, 4, 1)): 800}
    entry = db.session.scalars(select(AuditLog)).one()
    assert entry.action == "visits.import"
    assert entry.after == {"days": 3, "replaced": 0, "parks": 2}


def test_a_day_imported_again_gets_the_new_number(app, unit, other_unit):
    import_park_visits(GOOD, parks(), user_id=None)
    assert import_park_visits(HEADER + "RT公园,2026-04-01,9000\nRT公园,2026-04-03,100\n",
                              parks(), user_id=None) == 2
    rt = unit.parks[0].id
    assert stored()[(rt, date(2026, 4, 1))] == 9000
    assert stored()[(rt, date(2026, 4, 2))] == 13500  # not in the second file: kept
    assert stored()[(rt, date(2026, 4, 3))] == 100
    assert len(stored()) == 4
    assert db.session.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first().after[
        "replaced"] == 1


def test_each_bad_row_is_named_and_nothing_is_imported(app, unit):
    text = HEADER + ("RT公园,2026-04-01,12000\n"
                     "不存在公园,2026-04-01,10\n"
                     "RT公园,04/02/2026,10\n"
                     "RT公园,2026-04-03,很多\n"
                     "RT公园,2026-04-04,-5\n"
                     "RT公园,2026-04-01,11000\n"
                     "RT公园,2026-04-05,99999999\n")
    with pytest.raises(CsvImportError) as caught:
        import_park_visits(text, parks(), user_id=None)
    errors = [(error.line, error.message) for error in caught.value.errors]
    assert [line for line, _message in errors] == [3, 4, 5, 6, 7, 8]
    assert "不存在公园" in errors[0][1]
    assert "04/02/2026" in errors[1][1]
    assert "很多" in errors[2][1]
    assert "-5" in errors[3][1]
    assert "2026-04-01" in errors[4][1]
    assert "2" in errors[4][1]  # the line it repeats
    assert "99999999" in errors[5][1]
    assert stored() == {}
    assert db.session.scalar(select(func.count()).select_from(AuditLog)) == 0


def test_a_bad_file_leaves_earlier_imports_alone(app, unit):
    import_park_visits(HEADER + "RT公园,2026-04-01,12000\n", parks(), user_id=None)
    with pytest.raises(CsvImportError):
        import_park_visits(HEADER + "RT公园,2026-04-01,1\nRT公园,bad,1\n", parks(),
                           user_id=None)
    assert list(stored().values()) == [12000]


def test_a_missing_column_and_an_empty_file_are_reported(app, unit):
    with pytest.raises(CsvImportError) as caught:
        import_park_visits("park,date\nRT公园,2026-04-01\n", parks(), user_id=None)
    assert "visits" in caught.value.errors[0].message
    with pytest.raises(CsvImportError) as caught:
        import_park_visits(HEADER, parks(), user_id=None)
    assert caught.value.errors[0].line == 1


def test_parks_out_of_scope_are_unknown(app, unit, other_unit):
    with pytest.raises(CsvImportError):
        import_park_visits(HEADER + "XY公园,2026-04-01,10\n", list(unit.parks), user_id=None)


def test_imported_visits_give_cases_per_10k_visits(app, unit):
    import_park_visits(HEADER + "RT公园,2026-04-01,40000\nRT公园,2026-04-30,10000\n"
                       "RT公园,2026-05-01,99\n", parks(), user_id=None)
    comparison = compare_parks(parks(), date(2026, 4, 1), date(2026, 5, 1), min_cases=0)
    assert comparison.rows[0].visits == 50000
    (known,) = visits_known(parks())
    assert (known.days, known.first, known.last, known.visits) == (
        3, date(2026, 4, 1), date(2026, 5, 1), 50099)


def test_a_concurrent_import_of_the_same_days_is_a_clear_error(app, unit, monkeypatch):
    import_park_visits(HEADER + "RT公园,2026-04-01,12000\n", parks(), user_id=None)
    # as if another import had inserted the day after this one's delete
    monkeypatch.setattr("app.services.bureau.visits.delete",
                        lambda model: sa_delete(model).where(false()))
    with pytest.raises(DomainError, match="nothing was imported|未导入"):
        import_park_visits(HEADER + "RT公园,2026-04-02,1\nRT公园,2026-04-01,9\n", parks(),
                           user_id=None)
    assert list(stored().values()) == [12000]
    assert db.session.scalar(select(func.count()).select_from(AuditLog)) == 1
