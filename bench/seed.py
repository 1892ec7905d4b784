"""Bench data: 30 management units with one park, one spot and one staff login each.

Run by bench/run.py as `python -m bench.seed` with the server's environment; prints the
spots' codes and the logins as JSON.
"""

from __future__ import annotations

import json

from app import create_app
from app.database import write_transaction
from app.models import Category, Membership, Park, Spot, StaffUser, Unit
from app.security import new_spot_code
from app.services.accounts.staff import hash_password

PARKS = 30
PASSWORD = "bench-password-0123"  # noqa: S105 - a throwaway bench database only


def seed_parks(count: int = PARKS) -> list[dict[str, object]]:
    """Create `count` units, each with a park, a spot, a category and a director."""
    password_hash = hash_password(PASSWORD)
    parks = []
    with write_transaction() as session:
        for number in range(count):
            unit = Unit(code=f"B{number:02d}", name_zh=f"测试管理处 {number}",
                        name_en=f"Bench office {number}")
            unit.categories.append(Category(code="noise", name_zh="噪音", name_en="Noise",
                                            icon="🔊", role="security", sort_order=0))
            park = Park(name_zh=f"测试公园 {number}", name_en=f"Bench park {number}")
            spot = Spot(code=new_spot_code(), name_zh="北门", name_en="North gate")
            park.spots.append(spot)
            unit.parks.append(park)
            session.add(unit)
            session.flush()
            user = StaffUser(email=f"staff{number}@bench.test", name=f"staff {number}",
                             password_hash=password_hash)
            user.memberships.append(Membership(unit_id=unit.id, role="director"))
            session.add(user)
            parks.append({"park": number, "point": spot.code, "email": user.email})
    return parks


if __name__ == "__main__":
    with create_app().app_context():
        print(json.dumps({"password": PASSWORD, "parks": seed_parks()}))
