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

# park code (its board: /p/<code>), names, and each spot with its WGS-84 position.
# Ritan Park: the altar is at 39.914417 N, 116.438111 E (Wikipedia, "Ritan Park (Beijing)");
# the other spots are placed inside the park around it (the north gate on Ritan North Road,
# the south gate towards Guanghua Road, the lake and rockery on the west side, the fitness
# area in the north-east corner). The three smaller gardens are demo placements in
# Chaoyang District (Baiziwan near Baiziwan Road; Qingniao and Wurui a few streets from
# Ritan), each spot within ~150 m of its garden's middle: plausible, not surveyed.
PARKS = [
    ("ritan-park", "日坛公园", "Ritan Park", [
        ("北门厕所", "North gate toilet", 39.91680, 116.43830),
        ("南门", "South gate", 39.91150, 116.43800),
        ("祭台广场", "Altar square", 39.91442, 116.43811),
        ("儿童游乐场", "Children's playground", 39.91300, 116.43950),
        ("湖畔步道", "Lakeside path", 39.91280, 116.43680),
        ("健身区", "Fitness area", 39.91630, 116.44000),
    ]),
    ("baiziwan-park", "百子湾园", "Baiziwan Park", [
        ("东门厕所", "East gate toilet", 39.89060, 116.49250),
        ("舞蹈广场", "Dance square", 39.89020, 116.49080),
        ("儿童游乐场", "Children's playground", 39.89110, 116.49010),
        ("湖畔步道", "Lakeside path", 39.88960, 116.48930),
        ("篮球场", "Basketball court", 39.89150, 116.49170),
    ]),
    ("qingniao-park", "青鸟园", "Qingniao Park", [
        ("西门", "West gate", 39.92210, 116.44560),
        ("厕所", "Public toilet", 39.92260, 116.44690),
        ("林荫步道", "Shady path", 39.92180, 116.44740),
        ("健身器材区", "Exercise equipment", 39.92300, 116.44810),
        ("停车场", "Car park", 39.92140, 116.44880),
    ]),
    ("wurui-park", "五瑞园", "Wurui Park", [
        ("北门", "North gate", 39.90930, 116.45180),
        ("舞蹈广场", "Dance square", 39.90850, 116.45210),
        ("厕所", "Public toilet", 39.90800, 116.45100),
        ("儿童沙池", "Children's sandpit", 39.90760, 116.45270),
        ("花园凉亭", "Garden pavilion", 39.90820, 116.45340),
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
    # e-mail, name, unit roles, bureau role, mobile (SMS on; 13800138xxx: test numbers)
    ("director@ritan.demo", "王园长 (Director Wang)", ("director",), None, "+8613800138001"),
    ("security@ritan.demo", "李队长 (Security captain Li)", ("security",), None,
     "+8613800138002"),
    ("cleaning@ritan.demo", "张班长 (Cleaning lead Zhang)", ("cleaning",), None,
     "+8613800138003"),
    # every standard category's role has a holder who can be reached (issue 16, point 4)
    ("maintenance@ritan.demo", "赵师傅 (Maintenance lead Zhao)", ("maintenance",), None,
     "+8613800138004"),
    ("service@ritan.demo", "陈主管 (Visitor service Chen)", ("service",), None,
     "+8613800138005"),
    ("bureau@parks.demo", "园林绿化局 (Parks bureau)", (), "viewer", None),
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
        for park_code, park_zh, park_en, spots in PARKS:
            park = Park(park_code=park_code, name_zh=park_zh, name_en=park_en)
            unit.parks.append(park)
            for spot_zh, spot_en, latitude, longitude in spots:
                park.spots.append(Spot(code=new_spot_code(), name_zh=spot_zh, name_en=spot_en,
                                       latitude=latitude, longitude=longitude))
        session.flush()
        categories = {category.code: category for category in unit.categories}
        for title, body, category_code in REPLY_TEMPLATES:
            session.add(ReplyTemplate(
                unit_id=unit.id, title=title, body=body,
                category=categories[category_code] if category_code else None))
        for email, name, roles, bureau_role, mobile in USERS:
            user = StaffUser(email=email, name=name, password_hash=password_hash,
                             bureau_role=bureau_role, mobile=mobile, alert_sms=bool(mobile))
            session.add(user)
            for role in roles:
                user.memberships.append(Membership(unit=unit, role=role))
    log.info("demo data created: unit %s", unit.code)
    return unit
