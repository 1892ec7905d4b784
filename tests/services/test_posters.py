"""Posters as printed: Chinese text with an embedded CJK font, QR codes that decode and work."""

from __future__ import annotations

import subprocess

import pytest
import zxingcpp
from PIL import Image, ImageFile

from app.extensions import db
from app.models import Spot
from app.security import new_spot_code
from app.services.spots.posters import (
    STICKER_GRID,
    MissingCjkFont,
    PosterError,
    check_cjk_font,
    render_posters,
)
from app.services.spots.qr import spot_url
from tests.support.posters import decode_pdf_qr_codes, embedded_fonts, pdf_pages, pdf_text

BASE = "https://parks.example.org"


@pytest.fixture
def park(unit):
    park = unit.parks[0]
    park.name_zh, park.name_en = "百子湾园", "Baiziwan Park"
    park.spots.append(Spot(code=new_spot_code(), name_zh="东门广场", name_en="East gate square"))
    park.spots.append(Spot(code=new_spot_code(), name_zh="儿童游乐区", name_en="Playground"))
    db.session.commit()
    return park


@pytest.mark.parametrize("layout", ["a4", "a6", "stickers"])
def test_every_layout_prints_names_in_chinese_with_an_embedded_cjk_font(
        park, layout, tmp_path):
    pdf = render_posters(park.spots, layout, base_url=BASE, title=park.name_zh)
    text = pdf_text(pdf, tmp_path)
    assert "百子湾园" in text
    for spot in park.spots:
        assert spot.name_zh in text
    if layout != "stickers":
        assert "园长信箱 · 扫码反映问题 · 件件有回应" in text
        assert "Baiziwan Park" in text
        assert "East gate square" in text
    fonts = embedded_fonts(pdf, tmp_path)
    assert any("CJK-SC" in name or "WenQuanYi" in name for name in fonts), fonts


@pytest.mark.parametrize("layout", ["a4", "a6", "stickers"])
def test_every_decoded_code_is_its_spots_url_and_answers(park, layout, client, tmp_path):
    pdf = render_posters(park.spots, layout, base_url=BASE, title=park.name_zh)
    pages = decode_pdf_qr_codes(pdf, tmp_path)
    expected = [spot_url(spot, BASE) for spot in park.spots]
    if layout == "stickers":
        assert pages == [sorted(expected)]  # three stickers on one sheet
    else:
        assert pages == [[url] for url in expected]  # one spot per page, in order
    for url in expected:
        assert client.get(url.removeprefix(BASE)).status_code == 200


def test_a4_poster_code_is_at_least_8_cm_wide(park, tmp_path):
    pdf = render_posters(park.spots[:1], "a4", base_url=BASE, title="t")
    path = tmp_path / "size.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "100", "-gray", "-png", str(path), str(tmp_path / "p")],
                   check=True)
    with Image.open(next(tmp_path.glob("p-*.png"))) as image:
        (result,) = zxingcpp.read_barcodes(image)
    # the symbol without its quiet zone, in pixels at 100 dpi -> millimetres
    width_mm = (result.position.top_right.x - result.position.top_left.x) / 100 * 25.4
    assert width_mm >= 80


def test_one_spot_fills_a_sticker_sheet(park, tmp_path):
    pdf = render_posters(park.spots[:1], "stickers", base_url=BASE, title="t")
    (page,) = decode_pdf_qr_codes(pdf, tmp_path, dpi=200)
    assert page == [spot_url(park.spots[0], BASE)] * STICKER_GRID.per_sheet


def test_a_park_fills_several_sticker_sheets(park, tmp_path):
    for number in range(STICKER_GRID.per_sheet):
        park.spots.append(Spot(code=new_spot_code(), name_zh=f"座椅{number}"))
    db.session.commit()
    pdf = render_posters(park.spots, "stickers", base_url=BASE, title="t")
    assert pdf_pages(pdf, tmp_path) == 2


def test_local_base_url_is_refused_unless_allowed(park, tmp_path):
    with pytest.raises(PosterError, match="only work on this machine"):
        render_posters(park.spots, "a6", base_url="http://127.0.0.1:5000", title="t")
    pdf = render_posters(park.spots[:1], "a6", base_url="http://127.0.0.1:5000", title="t",
                         allow_local=True)
    assert decode_pdf_qr_codes(pdf, tmp_path) == [[f"http://127.0.0.1:5000/q/{park.spots[0].code}"]]


def test_unknown_layout_is_refused(park):
    with pytest.raises(PosterError, match="unknown layout"):
        render_posters(park.spots, "a3", base_url=BASE, title="t")


def test_progress_is_reported_per_batch(park):
    seen: list[int] = []
    render_posters(park.spots, "a6", base_url=BASE, title="t", progress=seen.append)
    assert sum(seen) == len(park.spots)


def test_a_chinese_font_is_installed():
    assert any("CJK" in family or "WenQuanYi" in family for family in check_cjk_font())


def test_without_a_cjk_font_rendering_fails_naming_the_package(park, tmp_path, monkeypatch):
    empty = tmp_path / "fonts.conf"
    empty.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
                     f"<fontconfig><cachedir>{tmp_path}/cache</cachedir></fontconfig>")
    monkeypatch.setenv("FONTCONFIG_FILE", str(empty))
    with pytest.raises(MissingCjkFont, match="fonts-noto-cjk"):
        render_posters(park.spots, "a4", base_url=BASE, title="t")


def test_rendering_leaves_pillow_refusing_truncated_images(park):
    render_posters(park.spots[:1], "a6", base_url=BASE, title="t")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False  # photo uploads depend on it


def test_board_poster_is_one_page_per_park_whose_code_opens_its_board(park, client, tmp_path):
    pdf = render_posters(park.spots, "board", base_url=BASE, title=park.name_zh)
    text = pdf_text(pdf, tmp_path)
    assert "您说 · 我们做" in text
    assert "You said, we did" in text
    assert "百子湾园" in text
    expected = f"{BASE}/p/{park.park_code}"
    assert decode_pdf_qr_codes(pdf, tmp_path) == [[expected]]  # one park: one page
    assert client.get(expected.removeprefix(BASE)).status_code == 200
    fonts = embedded_fonts(pdf, tmp_path)
    assert any("CJK-SC" in name or "WenQuanYi" in name for name in fonts), fonts
