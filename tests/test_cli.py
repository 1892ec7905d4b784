"""Command-line tools: demo data and the list of spots with their QR URLs."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from app.models import Category, Park, Spot, StaffUser


def test_demo_loads_the_ritan_unit_once(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    parks = db.session.scalars(select(Park.name_zh).order_by(Park.id)).all()
    assert parks == ["日坛公园", "百子湾园", "青鸟园", "五瑞园"]
    for park_id in db.session.scalars(select(Park.id)):
        assert db.session.scalar(select(func.count()).where(Spot.park_id == park_id)) >= 5
    codes = set(db.session.scalars(select(Category.code)))
    assert {"toilets", "noise", "facilities", "safety", "nature", "service", "suggestion",
            "praise", "other"} <= codes
    emails = set(db.session.scalars(select(StaffUser.email)))
    assert {"director@ritan.demo", "security@ritan.demo", "cleaning@ritan.demo",
            "bureau@parks.demo"} <= emails
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0
    assert "already" in again.output
    assert db.session.scalar(select(func.count()).select_from(Park)) == 4


def test_production_never_seeds_demo_data(app, db):
    app.config["DEMO_ALLOWED"] = False
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0
    assert db.session.scalar(select(func.count()).select_from(StaffUser)) == 0


def test_spots_list_json_has_full_qr_urls(app, db, client):
    runner = app.test_cli_runner()
    runner.invoke(args=["demo", "--no-history"])
    result = runner.invoke(args=["points", "list", "--json"])
    assert result.exit_code == 0, result.output
    spots = json.loads(result.output)
    assert len(spots) >= 20
    first = spots[0]
    assert first["park"] == "日坛公园"
    assert first["url"] == f"https://parks.example.org/q/{first['code']}"
    # every demo spot has its position (WGS-84) near its park's, and each park its code
    assert {spot["park_code"] for spot in spots} == {"ritan-park", "baiziwan-park",
                                                     "qingniao-park", "wurui-park"}
    from app.services.cases.open311 import distance_m

    def apart(one, two):
        return distance_m(one["latitude"], one["longitude"], two["latitude"], two["longitude"])

    for one in spots:
        for two in spots:  # a park's spots lie together (Ritan Park is ~600 m long)
            if one["park_code"] == two["park_code"]:
                assert apart(one, two) < 700, (one, two)
            else:
                assert apart(one, two) > 700, (one, two)
    altar = next(spot for spot in spots if spot["name_en"] == "Altar square")
    assert (round(altar["latitude"], 3), round(altar["longitude"], 3)) == (39.914, 116.438)
    # the printed URL is the one that answers
    assert client.get(f"/q/{first['code']}").status_code == 200


def test_spots_list_table(app, db):
    runner = app.test_cli_runner()
    runner.invoke(args=["demo", "--no-history"])
    lines = runner.invoke(args=["points", "list"]).output.strip().splitlines()
    assert len(lines) >= 20
    assert lines[0].startswith("日坛公园\t")
    assert "/q/" in lines[0]


def test_demo_with_cases_adds_synthetic_history(app, db):
    from app.models import Case, rollup_monthly

    result = app.test_cli_runner().invoke(args=["demo", "--no-history", "--cases", "500",
                                                "--parks", "6", "--days", "60"])
    assert result.exit_code == 0, result.output
    assert "cases added" in result.output
    assert db.session.scalar(select(func.count()).select_from(Park)) == 6
    cases = db.session.scalar(select(func.count()).select_from(Case))
    assert 480 <= cases <= 500
    assert db.session.scalar(select(func.sum(rollup_monthly.c.cases))) == cases


def make_dry_run(*arguments: str, **environment: str) -> str:
    """What `make -n` would run (nothing is run), with the Makefile's own variables."""
    import os
    import subprocess
    from pathlib import Path

    env = {key: value for key, value in os.environ.items() if key != "BASE_URL"}
    env.update(environment)
    root = Path(__file__).resolve().parents[1]
    return subprocess.run(["make", "-n", "--no-print-directory", *arguments], cwd=root,
                          env=env, capture_output=True, text=True, check=True).stdout


def test_make_run_takes_base_url_from_host_and_port_unless_given():
    assert "http://127.0.0.1:5077/  (staff: http://127.0.0.1:5077/staff/)" in make_dry_run(
        "run", "PORT=5077")
    # 0.0.0.0 is where to listen, not an address to open: the QR codes name the loopback
    assert "http://127.0.0.1:8000/" in make_dry_run("run", "HOST=0.0.0.0", "PORT=8000")
    given = make_dry_run("run", "PORT=5077", BASE_URL="https://parks.example.org")
    assert "https://parks.example.org/  (staff:" in given
    assert "5077/" not in given


def test_points_list_follows_base_url(app, db):
    runner = app.test_cli_runner()
    runner.invoke(args=["demo", "--no-history"])
    app.config["BASE_URL"] = "http://127.0.0.1:5077/"
    spots = json.loads(runner.invoke(args=["points", "list", "--json"]).output)
    assert spots[0]["url"] == f"http://127.0.0.1:5077/q/{spots[0]['code']}"
