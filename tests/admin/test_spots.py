"""Director's spot pages: manage spots, QR downloads, posters, code replacement, access."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from app.models import AuditLog, Case, Park, ScanCount, Spot
from tests.conftest import csrf_token, log_in, make_case, make_staff
from tests.support.db_snapshot import nothing_stored
from tests.support.posters import decode_pdf_qr_codes, pdf_text

BASE = "https://parks.example.org"


def _audit(db, action):
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action)).all()


def test_spots_page_lists_spots_with_scans_and_messages(staff_client, spot, client):
    client.get(f"/q/{spot.code}")
    client.get(f"/q/{spot.code}")
    make_case(spot)
    page = staff_client.get("/admin/points").get_data(as_text=True)
    assert spot.name_zh in page
    assert spot.code in page
    assert "<strong>2</strong>" in page  # scans
    assert "<strong>1</strong>" in page  # messages
    assert "/admin/parks/" in page


def test_settings_link_to_spots(staff_client):
    assert "/admin/points" in staff_client.get("/admin/").get_data(as_text=True)


def test_create_spot_is_audited_and_its_code_works(staff_client, unit, db, client):
    park = unit.parks[0]
    token = csrf_token(staff_client, f"/admin/points/new?park_id={park.id}")
    response = staff_client.post("/admin/points/new", data={
        "csrf_token": token, "park_id": park.id, "name_zh": "南门", "name_en": "South gate",
        "description": "售票处旁", "latitude": "39.91", "longitude": "116.44"})
    assert response.status_code == 303
    spot = db.session.scalar(select(Spot).where(Spot.name_zh == "南门"))
    assert (spot.park_id, spot.name_en, spot.latitude, spot.longitude) ==\
        (park.id, "South gate", 39.91, 116.44)
    (entry,) = _audit(db, "point.create")
    assert entry.target_id == spot.id
    assert entry.after["name_zh"] == "南门"
    assert client.get(f"/q/{spot.code}").status_code == 200


def test_create_needs_a_chinese_name(staff_client, unit, db):
    token = csrf_token(staff_client, "/admin/points/new")
    with nothing_stored("a blank name"):
        response = staff_client.post("/admin/points/new", data={
            "csrf_token": token, "park_id": unit.parks[0].id, "name_zh": " "})
    assert response.status_code == 400


def test_create_in_another_units_park_is_refused(staff_client, other_unit, db):
    token = csrf_token(staff_client, "/admin/points/new")
    with nothing_stored("another unit's park"):
        response = staff_client.post("/admin/points/new", data={
            "csrf_token": token, "park_id": other_unit.parks[0].id, "name_zh": "偷偷"})
    assert response.status_code == 400


def test_rename_describe_and_place_are_audited(staff_client, spot, db):
    url = f"/admin/points/{spot.id}"
    response = staff_client.post(url, data={
        "csrf_token": csrf_token(staff_client, url), "name_zh": "北门公厕",
        "name_en": "North gate WC", "description": "新装修", "latitude": "39.9",
        "longitude": "116.4"})
    assert response.status_code == 303
    db.session.refresh(spot)
    assert (spot.name_zh, spot.description, spot.latitude) == ("北门公厕", "新装修", 39.9)
    (entry,) = _audit(db, "point.update")
    assert entry.before["name_zh"] == "北门厕所"
    assert entry.after["name_zh"] == "北门公厕"


@pytest.mark.parametrize(("latitude", "longitude"), [("91", "116"), ("39.9", ""), ("x", "1")])
def test_bad_coordinates_change_nothing(staff_client, spot, db, latitude, longitude):
    url = f"/admin/points/{spot.id}"
    token = csrf_token(staff_client, url)
    with nothing_stored(f"{latitude}, {longitude}"):
        response = staff_client.post(url, data={
            "csrf_token": token, "name_zh": "改名", "latitude": latitude,
            "longitude": longitude})
    assert response.status_code == 400


def test_deactivate_makes_the_code_gone_and_is_audited(staff_client, spot, db, client):
    url = f"/admin/points/{spot.id}"
    response = staff_client.post(f"{url}/deactivate",
                                 data={"csrf_token": csrf_token(staff_client, url)})
    assert response.status_code == 303
    assert client.get(f"/q/{spot.code}").status_code == 410
    assert len(_audit(db, "point.deactivate")) == 1
    staff_client.post(f"{url}/activate", data={"csrf_token": csrf_token(staff_client, url)})
    assert client.get(f"/q/{spot.code}").status_code == 200
    assert len(_audit(db, "point.activate")) == 1


def test_replaced_code_old_410_new_200_and_reprint_told(staff_client, spot, db, client):
    old = spot.code
    url = f"/admin/points/{spot.id}"
    response = staff_client.post(f"{url}/replace-code",
                                 data={"csrf_token": csrf_token(staff_client, url)})
    assert response.status_code == 303
    db.session.refresh(spot)
    assert spot.code != old
    gone = client.get(f"/q/{old}")
    assert gone.status_code == 410
    assert "replaced" in client.get(f"/q/{old}?lang=en").get_data(as_text=True)
    assert client.get(f"/q/{spot.code}").status_code == 200
    page = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert old in page
    assert f"/admin/points/{spot.id}/poster.pdf?layout=a4" in page
    (entry,) = _audit(db, "point.replace_code")
    assert (entry.before["code"], entry.after["code"]) == (old, spot.code)


def test_posting_to_old_code_stores_nothing(staff_client, spot, db, client):
    old = spot.code
    url = f"/admin/points/{spot.id}"
    token = csrf_token(client, f"/q/{old}")
    staff_client.post(f"{url}/replace-code", data={"csrf_token": csrf_token(staff_client, url)})
    response = client.post(f"/q/{old}", data={"csrf_token": token, "category": "toilets",
                                               "body": "厕所没有纸了"})
    assert response.status_code == 410
    assert db.session.scalars(select(Case)).all() == []


def test_unknown_code_is_404(client, spot):
    assert client.get("/q/zzzzzzzz").status_code == 404


def test_every_get_counts_a_scan_and_posts_do_not(client, spot, db):
    for _ in range(3):
        client.get(f"/q/{spot.code}")
    client.post(f"/q/{spot.code}", data={"body": ""})
    (row,) = db.session.scalars(select(ScanCount)).all()
    assert (row.spot_id, row.count) == (spot.id, 3)


def test_qr_downloads(staff_client, spot):
    svg = staff_client.get(f"/admin/points/{spot.id}/qr.svg")
    assert svg.status_code == 200
    assert svg.mimetype == "image/svg+xml"
    png = staff_client.get(f"/admin/points/{spot.id}/qr.png?size=500")
    assert png.mimetype == "image/png"
    image = Image.open(io.BytesIO(png.data))
    assert image.size == (500, 500)
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [f"{BASE}/q/{spot.code}"]


@pytest.mark.parametrize(("size", "pixels"), [("", 600), ("abc", 600), ("20", 64), ("300", 300)])
def test_qr_png_size_parameter(staff_client, spot, size, pixels):
    png = staff_client.get(f"/admin/points/{spot.id}/qr.png?size={size}")
    assert Image.open(io.BytesIO(png.data)).size == (pixels, pixels)


def test_missing_cjk_font_is_a_clear_503(staff_client, spot, tmp_path, monkeypatch):
    empty = tmp_path / "fonts.conf"
    empty.write_text(f"<fontconfig><cachedir>{tmp_path}/cache</cachedir></fontconfig>")
    monkeypatch.setenv("FONTCONFIG_FILE", str(empty))
    response = staff_client.get(f"/admin/points/{spot.id}/poster.pdf?layout=a4")
    assert response.status_code == 503
    assert "fonts-noto-cjk" in response.get_data(as_text=True)
    assert "没有安装中文字体" in response.get_data(as_text=True)  # in the director's language


def test_park_posters_pdf(staff_client, unit, spot, client, tmp_path):
    response = staff_client.get(f"/admin/parks/{unit.parks[0].id}/posters.pdf?layout=a6")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert spot.name_zh in pdf_text(response.data, tmp_path)
    (codes,) = decode_pdf_qr_codes(response.data, tmp_path)
    assert codes == [f"{BASE}/q/{spot.code}"]
    assert client.get(f"/q/{spot.code}").status_code == 200


def test_unknown_layout_is_400(staff_client, spot):
    assert staff_client.get(f"/admin/points/{spot.id}/poster.pdf?layout=a0").status_code == 400


def test_local_base_url_refused_with_a_test_print_offered(app, staff_client, spot, tmp_path):
    app.config["BASE_URL"] = "http://127.0.0.1:5000"
    response = staff_client.get(f"/admin/points/{spot.id}/poster.pdf?layout=a6")
    assert response.status_code == 400
    assert "allow_local=1" in response.get_data(as_text=True)
    assert "只能在这台电脑上打开" in response.get_data(as_text=True)
    qr = staff_client.get(f"/admin/points/{spot.id}/qr.png?lang=en")
    assert qr.status_code == 400
    assert "only work on this computer" in qr.get_data(as_text=True)
    allowed = staff_client.get(f"/admin/points/{spot.id}/poster.pdf?layout=a6&allow_local=1")
    assert allowed.status_code == 200
    assert decode_pdf_qr_codes(allowed.data, tmp_path) ==\
        [[f"http://127.0.0.1:5000/q/{spot.code}"]]


def _protected(spot_id, park_id):
    return [
        ("get", f"/admin/points/{spot_id}"),
        ("get", f"/admin/points/{spot_id}/qr.svg"),
        ("get", f"/admin/points/{spot_id}/qr.png"),
        ("get", f"/admin/points/{spot_id}/poster.pdf?layout=a4"),
        ("get", f"/admin/parks/{park_id}/posters.pdf?layout=a4"),
        ("post", f"/admin/points/{spot_id}/deactivate"),
        ("post", f"/admin/points/{spot_id}/activate"),
        ("post", f"/admin/points/{spot_id}/replace-code"),
    ]


def _request(client, method, url):
    if method == "post":  # with a valid CSRF token: access control must answer, not CSRF
        return client.post(url, data={"csrf_token": csrf_token(client, "/staff/")})
    return client.get(url)


def test_another_units_spots_are_404(staff_client, other_unit):
    foreign = other_unit.parks[0]
    for method, url in _protected(foreign.spots[0].id, foreign.id):
        assert _request(staff_client, method, url).status_code == 404, url


def test_non_director_gets_403(app, unit, spot):
    guard = make_staff(unit, "security@rt.test", roles=("security",))
    client = app.test_client()
    log_in(client, guard.email)
    urls = [("get", "/admin/points"), ("get", "/admin/points/new"),
            *_protected(spot.id, spot.park_id)]
    for method, url in urls:
        assert _request(client, method, url).status_code == 403, url


def test_anonymous_is_sent_to_login(client, spot):
    # the anonymous has a CSRF token too (the login form's): the login check must answer
    token = csrf_token(client, "/staff/login")
    for method, url in [("get", "/admin/points"), *_protected(spot.id, spot.park_id)]:
        with nothing_stored(url):
            response = (client.post(url, data={"csrf_token": token}) if method == "post"
                        else client.get(url))
        assert response.status_code == 302, url
        assert "/staff/login" in response.headers["Location"], url


def test_a_park_without_spots_has_nothing_to_print(staff_client, db, unit):
    park = Park(unit_id=unit.id, name_zh="新公园", name_en="New park")
    db.session.add(park)
    db.session.commit()
    response = staff_client.get(f"/admin/parks/{park.id}/posters.pdf?layout=a4")
    assert response.status_code == 400
    assert "无可打印" in response.get_data(as_text=True)
