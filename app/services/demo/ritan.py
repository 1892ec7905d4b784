"""Demo data: the Ritan Park management unit, its four parks, spots, categories and logins."""

from __future__ import annotations

import logging

from sqlalchemy import select

from app.database import write_transaction
from app.models import Membership, Park, ReplyTemplate, Spot, StaffUser, Unit
from app.security import new_spot_code
from app.services.accounts.onboarding import standard_categories
from app.services.accounts.staff import hash_password

log = logging.getLogger(__name__)

DEMO_PASSWORD = "demo12345"  # noqa: S105 - published demo password, never seeded in production

PARKS = [
    ("日坛公园", "Ritan Park", [
        ("北门厕所", "North gate toilet"),
        ("南门", "South gate"),
        ("祭台广场", "Altar square"),
        ("儿童游乐场", "Children's playground"),
        ("湖畔步道", "Lakeside path"),
        ("健身区", "Fitness area"),
    ]),
    ("百子湾园", "Baiziwan Park", [
        ("东门厕所", "East gate toilet"),
        ("舞蹈广场", "Dance square"),
        ("儿童游乐场", "Children's playground"),
        ("湖畔步道", "Lakeside path"),
        ("篮球场", "Basketball court"),
    ]),
    ("青鸟园", "Qingniao Park", [
        ("西门", "West gate"),
        ("厕所", "Public toilet"),
        ("林荫步道", "Shady path"),
        ("健身器材区", "Exercise equipment"),
        ("停车场", "Car park"),
    ]),
    ("五瑞园", "Wurui Park", [
        ("北门", "North gate"),
        ("舞蹈广场", "Dance square"),
        ("厕所", "Public toilet"),
        ("儿童沙池", "Children's sandpit"),
        ("花园凉亭", "Garden pavilion"),
    ]),
]

REPLY_TEMPLATES = [
    # title, body, category code (None: any category)
    ("已补充手纸", "您好，{spot}的手纸已经补充好了，感谢您的提醒！如还有问题请在此页告诉我们。",
     "toilets"),
    ("已安排保洁", "您好，已安排保洁人员前往{spot}清理，预计30分钟内完成。感谢您的反馈！",
     "toilets"),
    ("已报修", "您好，{spot}的问题已报维修班组，修好后会在这里告诉您。编号：{reference}。",
     "facilities"),
    ("已劝导", "您好，保安已到{spot}劝导，请您继续留意，如仍有问题请告诉我们。", "noise"),
    ("感谢表扬", "感谢您对{park}工作人员的肯定，我们会继续努力！", "praise"),
    ("已收到", "您好，您的留言（{reference}）已收到，我们正在处理，请留意此页的回复。", None),
]

USERS = [
    # e-mail, name, unit roles, bureau role
    ("director@ritan.demo", "王园长 (Director Wang)", ("director",), None),
    ("security@ritan.demo", "李队长 (Security captain Li)", ("security",), None),
    ("cleaning@ritan.demo", "张班长 (Cleaning lead Zhang)", ("cleaning",), None),
    ("bureau@parks.demo", "园林绿化局 (Parks bureau)", (), "viewer"),
]


def demo_loaded() -> bool:
    from app.extensions import db

    return db.session.scalar(select(Unit.id).where(Unit.is_demo.is_(True))) is not None


def create_demo_data() -> Unit:
    """Create the demo unit; the caller checks that it is not there yet."""
    password_hash = hash_password(DEMO_PASSWORD)
    with write_transaction() as session:
        unit = Unit(code="RT", name_zh="日坛公园管理处", name_en="Ritan Park Management Office",
                    timezone="Asia/Shanghai", is_demo=True)
        session.add(unit)
        unit.categories.extend(standard_categories())
        for park_zh, park_en, spots in PARKS:
            park = Park(name_zh=park_zh, name_en=park_en)
            unit.parks.append(park)
            for spot_zh, spot_en in spots:
                park.spots.append(Spot(code=new_spot_code(), name_zh=spot_zh, name_en=spot_en))
        session.flush()
        categories = {category.code: category for category in unit.categories}
        for title, body, category_code in REPLY_TEMPLATES:
            session.add(ReplyTemplate(
                unit_id=unit.id, title=title, body=body,
                category=categories[category_code] if category_code else None))
        for email, name, roles, bureau_role in USERS:
            user = StaffUser(email=email, name=name, password_hash=password_hash,
                             bureau_role=bureau_role)
            session.add(user)
            for role in roles:
                user.memberships.append(Membership(unit=unit, role=role))
    log.info("demo data created: unit %s", unit.code)
    return unit
