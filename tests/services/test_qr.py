"""QR codes: the URL they carry, PNG and SVG output, and the refusal of local addresses."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image

from app.services.spots.qr import (
    LocalBaseUrl,
    check_base_url,
    is_local_url,
    render_qr_png,
    render_qr_svg,
    short_url,
    spot_url,
)


def test_spot_url_is_base_url_q_code(spot):
    assert spot_url(spot, "https://parks.example.org/") ==\
        f"https://parks.example.org/q/{spot.code}"


def test_short_url_drops_the_scheme():
    assert short_url("https://parks.example.org/q/abc") == "parks.example.org/q/abc"


@pytest.mark.parametrize("size", [64, 300, 1201])
def test_png_has_the_asked_size_and_decodes(size):
    url = "https://parks.example.org/q/abcdefgh"
    image = Image.open(io.BytesIO(render_qr_png(url, size)))
    assert image.size == (size, size)
    results = zxingcpp.read_barcodes(image.convert("L").resize((size * 2, size * 2)))
    assert [r.text for r in results] == [url]
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode


def test_png_size_is_clamped():
    image = Image.open(io.BytesIO(render_qr_png("https://x.org/q/a", 10**6)))
    assert image.size == (4000, 4000)


def test_error_correction_is_q_or_better():
    image = Image.open(io.BytesIO(render_qr_png("https://parks.example.org/q/abcdefgh", 400)))
    (result,) = zxingcpp.read_barcodes(image)
    assert result.ec_level in {"Q", "H"}


def test_png_keeps_a_quiet_zone_of_four_modules():
    image = Image.open(io.BytesIO(render_qr_png("https://parks.example.org/q/abcdefgh", 410)))
    # 41 modules (33 + 2 x 4) of 10 px each: the outer 40 px on every side are white
    pixels = image.convert("L").load()
    assert pixels is not None
    border = [pixels[x, y] for x in range(410) for y in range(410)
              if min(x, y) < 40 or max(x, y) >= 370]
    assert set(border) == {255}


def test_svg_is_one_path_with_a_white_quiet_zone():
    svg = render_qr_svg("https://parks.example.org/q/abcdefgh")
    assert svg.startswith("<svg")
    assert 'viewBox="0 0 41 41"' in svg
    assert '<rect width="41" height="41" fill="#fff"/>' in svg
    assert svg.count("<path") == 1
    starts = [(int(x), int(y)) for x, y in re.findall(r"M(\d+) (\d+)", svg)]
    assert min(min(x, y) for x, y in starts) == 4  # nothing dark inside the quiet zone
    assert max(max(x, y) for x, y in starts) <= 36


@pytest.mark.parametrize("url", ["http://127.0.0.1:5000", "http://localhost:8000",
                                 "http://[::1]/", "http://127.1.2.3", "http://app.localhost"])
def test_local_addresses_are_refused_unless_allowed(url):
    assert is_local_url(url)
    with pytest.raises(LocalBaseUrl, match="allow-local"):
        check_base_url(url, allow_local=False)
    check_base_url(url, allow_local=True)


def test_public_address_is_accepted():
    assert not is_local_url("https://parks.example.org")
    check_base_url("https://parks.example.org", allow_local=False)
