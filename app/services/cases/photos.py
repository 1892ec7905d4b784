"""Case photos: checked, re-encoded without metadata, stored under random names.

An upload is never stored as sent: Pillow reads the header first (refusing non-images and
images too large to decode safely), then decodes, turns it upright by its EXIF orientation
and writes a fresh JPEG with no metadata at all. Files live in PHOTO_DIR (under instance/,
outside the static folder) and are served only through views that check access.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import secrets
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import Session

from app.models import Case, MeasurePhoto, Photo
from app.security import create_private_file, private_folder
from app.services.errors import DomainError, NotFoundError

log = logging.getLogger(__name__)

MAX_PHOTOS = 3
# what Pillow is allowed to try (no SVG, PDF, PSD, EPS... decoders ever run on uploads)
OPENERS = ("JPEG", "PNG", "WEBP", "GIF")
# MPO: the multi-picture JPEG of many phone cameras, opened by the JPEG plugin
ACCEPTED_FORMATS = frozenset({*OPENERS, "MPO"})
# a phone camera takes 12-50 megapixels; anything above is refused before decoding
MAX_PIXELS = 60_000_000
# stored photos are scaled down to this many pixels on the long side
MAX_SIDE = 2560
JPEG_QUALITY = 85
STORED_CONTENT_TYPE = "image/jpeg"
PENDING_FILES_KEY = "park_mailbox_pending_photo_files"


class PhotoError(DomainError):
    """An upload that is not a usable photo (the message says why, in the user's language)."""


@dataclass(frozen=True)
class PreparedPhoto:
    """A re-encoded photo ready to be written: the bytes and what the row records."""

    data: bytes
    width: int
    height: int

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def photo_dir() -> Path:
    """PHOTO_DIR, readable by the app alone (0700): photos show visitors and their contacts."""
    return private_folder(Path(current_app.config["PHOTO_DIR"]))


def _open_checked(stream: IO[bytes]) -> Image.Image:
    """Open (header only) and check format and size, before any pixel is decoded."""
    not_a_photo = PhotoError(_("This file is not a photo. Please choose a JPEG, PNG or "
                               "WebP picture."))
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that: make it an error
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(stream, formats=OPENERS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoError(_("This photo is too large. Please send a smaller picture."))\
                from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise not_a_photo from None
    width, height = image.size
    if image.format not in ACCEPTED_FORMATS:
        raise not_a_photo
    if width < 1 or height < 1 or width * height > MAX_PIXELS:
        raise PhotoError(_("This photo is too large. Please send a smaller picture."))
    return image


def prepare_photo(stream: IO[bytes]) -> PreparedPhoto:
    """Check an upload and re-encode it as an upright JPEG without metadata."""
    image = _open_checked(stream)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upright = ImageOps.exif_transpose(image)
            if upright.mode not in ("RGB", "L"):
                flat = Image.new("RGB", upright.size, "white")
                rgba = upright.convert("RGBA")
                flat.paste(rgba, mask=rgba.getchannel("A"))
                upright = flat
            upright.thumbnail((MAX_SIDE, MAX_SIDE))
            # the upload's metadata rides along in .info (Pillow writes its "comment" as a
            # COM segment unasked): the new file gets none of it, and no exif=, xmp=,
            # icc_profile= or comment= either
            upright.info = {}
            output = io.BytesIO()
            upright.save(output, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    except PhotoError:
        raise
    except Exception:  # any decoder failure: refuse the upload, never keep the original
        log.info("photo refused: could not be re-encoded", exc_info=True)
        raise PhotoError(_("This photo could not be read. Please try another picture."))\
            from None
    finally:
        image.close()
    return PreparedPhoto(data=output.getvalue(), width=upright.width, height=upright.height)


def prepare_photos(streams: Sequence[IO[bytes]]) -> list[PreparedPhoto]:
    """Check and re-encode up to MAX_PHOTOS uploads (before any database write)."""
    if len(streams) > MAX_PHOTOS:
        raise PhotoError(_("Please send at most %(max)d photos.", max=MAX_PHOTOS))
    return [prepare_photo(stream) for stream in streams]


def add_photos(session: Session, case: Case, photos: Sequence[PreparedPhoto],
               uploaded_by_id: int | None = None,
               case_token_id: int | None = None) -> list[Photo]:
    """Write the files and add their rows to the open write transaction.

    `case_token_id`: the "me too" report they came with (None: the first visitor's, or
    staff's when `uploaded_by_id` is set).

    The files are removed again if that transaction rolls back (or its commit fails), so
    a stored photo always has its committed row.
    """
    if len(case.photos) + len(photos) > MAX_PHOTOS:
        raise PhotoError(_("A case has at most %(max)d photos.", max=MAX_PHOTOS))
    rows: list[Photo] = []
    for photo in photos:
        name = store_photo_file(session, photo)
        row = Photo(storage_name=name, checksum=photo.checksum,
                    content_type=STORED_CONTENT_TYPE, size=len(photo.data),
                    width=photo.width, height=photo.height, uploaded_by_id=uploaded_by_id,
                    case_token_id=case_token_id)
        case.photos.append(row)
        rows.append(row)
    session.flush()
    log.info("%d photo(s) added to case %s", len(rows), case.id)
    return rows


def store_photo_file(session: Session, photo: PreparedPhoto) -> str:
    """Write a prepared photo under a random name in the open write transaction; the file
    is removed again if that transaction rolls back (or its commit fails)."""
    return store_file(session, photo.data, ".jpg")


def store_file(session: Session, data: bytes, suffix: str) -> str:
    """Write an attachment's checked bytes (a photo, a voice note) under a random name in
    PHOTO_DIR, in the open write transaction; removed again if it rolls back."""
    name = secrets.token_hex(16) + suffix
    path = photo_dir() / name
    with create_private_file(path) as target:  # 0600
        target.write(data)
        target.flush()
        os.fsync(target.fileno())
    written: list[Path] = session.info.setdefault(PENDING_FILES_KEY, [])
    written.append(path)
    return name


def keep_files(session: Session) -> None:
    session.info.pop(PENDING_FILES_KEY, None)


def remove_files(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        for path in session.info.pop(PENDING_FILES_KEY, []):
            path.unlink(missing_ok=True)



def photo_path(photo: Photo | MeasurePhoto) -> Path:
    """Where a stored photo's bytes are (the name is ours, never the uploader's)."""
    return photo_dir() / Path(photo.storage_name).name


def find_photo_of_case(case: Case, photo_id: int) -> Photo:
    """One photo of a case the caller may already see; any other id is not found."""
    for photo in case.photos:
        if photo.id == photo_id:
            return photo
    raise NotFoundError(_("No such photo."))
