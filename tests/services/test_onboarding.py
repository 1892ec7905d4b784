"""Onboarding a unit: parks, standard categories, a first director who can log in; audited."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, Park, StaffUser, Unit
from app.services.accounts.onboarding import (
    CATEGORIES,
    ParkName,
    create_bureau_account,
    onboard_unit,
    parse_park_lines,
)
from app.services.accounts.staff import authenticate
from app.services.errors import DomainError

PARKS = [ParkName("龙潭公园", "Longtan Park"), ParkName("天坛公园")]


def onboard(**overrides):
    fields = {"admin_id": None, "code": "lt", "name_zh": "龙潭公园管理处",
              "name_en": "Longtan office", "parks": PARKS, "director_email": "Boss@LT.test",
              "director_name": "刘园长"}
    fields.update(overrides)
    return onboard_unit(**fields)


def counts():
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Unit, Park, StaffUser, AuditLog))


def test_a_unit_with_its_parks_categories_and_director(app):
    onboarded = onboard()
    unit = db.session.get(Unit, onboarded.unit_id)
    assert unit.code == "LT"
    assert [(p.name_zh, p.name_en) for p in unit.parks] == [("龙潭公园", "Longtan Park"),
                                                            ("天坛公园", "")]
    assert [c.code for c in unit.categories] == [code for code, *_rest in CATEGORIES]
    credential = onboarded.director
    assert credential.email == "boss@lt.test"
    assert len(credential.temporary_password) >= 16
    director = authenticate("boss@lt.test", credential.temporary_password)
    assert director is not None
    assert director.roles_in(unit.id) == {"director"}
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["unit.onboarded", "staff.created"]


@pytest.mark.parametrize(("overrides", "message"), [
    ({"code": "1X"}, "2"),
    ({"code": "TOOLONGCODE"}, "2"),
    ({"name_zh": " "}, ""),
    ({"parks": []}, ""),
    ({"parks": [ParkName("甲"), ParkName("甲")]}, ""),
    ({"parks": [ParkName("", "No Chinese")]}, ""),
    ({"director_email": "nobody"}, ""),
    ({"credential": "carrier pigeon"}, ""),
])
def test_bad_input_is_refused_and_changes_nothing(app, overrides, message):
    before = counts()
    with pytest.raises(DomainError) as caught:
        onboard(**overrides)
    assert message in str(caught.value)
    assert counts() == before


def test_taken_code_park_or_email_is_refused_whole(app, unit, staff):
    before = counts()
    with pytest.raises(DomainError, match="RT"):
        onboard(code="RT")
    with pytest.raises(DomainError, match="RT公园"):
        onboard(parks=[ParkName("RT公园"), ParkName("新公园")])
    with pytest.raises(DomainError):
        onboard(director_email=staff.email.upper())
    assert counts() == before


def test_park_lines():
    assert parse_park_lines("日坛公园 | Ritan Park\n\n 青鸟园 \n") == [
        ParkName("日坛公园", "Ritan Park"), ParkName("青鸟园", "")]


def test_bureau_accounts(app):
    credential = create_bureau_account(admin_id=None, email="Chief@Bureau.test", name="局长")
    user = authenticate("chief@bureau.test", credential.temporary_password)
    assert user.bureau_role == "admin"
    viewer = create_bureau_account(admin_id=user.id, email="v@bureau.test", name="",
                                   role="viewer")
    assert db.session.get(StaffUser, viewer.user_id).bureau_role == "viewer"
    with pytest.raises(DomainError):
        create_bureau_account(admin_id=None, email="chief@bureau.test", name="again")
    with pytest.raises(DomainError):
        create_bureau_account(admin_id=None, email="x@bureau.test", name="", role="king")


def test_an_account_created_meanwhile_is_a_clear_error(app, staff, monkeypatch):
    # as if another administrator had created the account between the check and the insert
    monkeypatch.setattr("app.services.accounts.onboarding.find_user_by_email", lambda email: None)
    before = counts()
    with pytest.raises(DomainError):
        onboard(director_email=staff.email)
    with pytest.raises(DomainError):
        create_bureau_account(admin_id=None, email=staff.email, name="")
    assert counts() == before
