"""Photo checks and re-encoding (app.services.cases.photos)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from app.services.cases.photos import PhotoError, prepare_photo, prepare_photos
from tests.support.images import (
    NOT_IMAGES,
    PIXEL_MARKERS,
    PLANTED,
    gif_with_comment,
    jpeg_markers,
    jpeg_with_every_metadata,
    jpeg_with_gps_rotated,
    png,
    png_header_only,
    png_with_text_metadata,
    webp_with_metadata,
)


def test_jpeg_is_stored_upright_without_any_exif():
    prepared = prepare_photo(io.BytesIO(jpeg_with_gps_rotated(60, 40)))
    stored = Image.open(io.BytesIO(prepared.data))
    assert stored.format == "JPEG"
    assert not stored.getexif()
    assert "exif" not in stored.info
    assert b"Exif" not in prepared.data[:200]
    assert b"PhoneMaker" not in prepared.data
    # orientation 6: the landscape picture is turned upright into portrait
    assert (prepared.width, prepared.height) == (40, 60) == stored.size
    # the red left half is now on top
    top = stored.getpixel((20, 5))
    bottom = stored.getpixel((20, 55))
    assert top[0] > 200
    assert top[2] < 60
    assert bottom[2] > 200
    assert bottom[0] < 60


def test_transparent_png_becomes_a_jpeg():
    prepared = prepare_photo(io.BytesIO(png()))
    assert Image.open(io.BytesIO(prepared.data)).format == "JPEG"
    assert (prepared.width, prepared.height) == (32, 24)
    assert len(prepared.checksum) == 64


@pytest.mark.parametrize("kind", sorted(NOT_IMAGES))
def test_files_that_are_not_images_are_refused(kind):
    with pytest.raises(PhotoError, match="不是照片|not a photo"):
        prepare_photo(io.BytesIO(NOT_IMAGES[kind]))


def test_huge_declared_size_is_refused_without_decoding(monkeypatch):
    decoded = []
    monkeypatch.setattr(Image.Image, "load", lambda self: decoded.append(self))
    with pytest.raises(PhotoError):
        prepare_photo(io.BytesIO(png_header_only(20000, 20000)))
    assert decoded == []


def test_size_just_over_our_limit_is_refused_before_decoding(monkeypatch):
    decoded = []
    monkeypatch.setattr(Image.Image, "load", lambda self: decoded.append(self))
    with pytest.raises(PhotoError):
        prepare_photo(io.BytesIO(png_header_only(8000, 8000)))  # 64 MP: Pillow only warns
    assert decoded == []


def test_truncated_image_is_refused_not_stored_raw():
    data = jpeg_with_gps_rotated(400, 300)
    with pytest.raises(PhotoError):
        prepare_photo(io.BytesIO(data[: len(data) // 3]))


def test_at_most_three_photos():
    with pytest.raises(PhotoError):
        prepare_photos([io.BytesIO(png()) for _ in range(4)])


@pytest.mark.parametrize("make", [jpeg_with_every_metadata, png_with_text_metadata,
                                  gif_with_comment, webp_with_metadata])
def test_no_metadata_of_the_upload_reaches_the_stored_photo(make):
    upload = make()
    assert PLANTED.encode() in upload  # planted
    prepared = prepare_photo(io.BytesIO(upload))
    # nothing but the JFIF header, tables, the frame and the scan: no APP1 (EXIF, XMP),
    # APP2 (ICC), APP13 (IPTC) or COM segment
    assert set(jpeg_markers(prepared.data)) <= PIXEL_MARKERS
    assert PLANTED.encode() not in prepared.data
    assert b"PhoneMaker" not in prepared.data
    stored = Image.open(io.BytesIO(prepared.data))
    assert set(stored.info) <= {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi"}
