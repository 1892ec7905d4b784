"""Printable posters, table signs and sticker sheets of spots, as PDF (WeasyPrint)."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar, cast

from flask import current_app
from markupsafe import Markup

from app.models import Park, Spot
from app.services.errors import DomainError
from app.services.platform.urls import absolute_url
from app.services.spots.qr import check_base_url, render_qr_svg, short_url, spot_url

log = logging.getLogger(__name__)
T = TypeVar("T")

# "board": one A4 page per park, its code to the park's public board (/p/<park_code>)
LAYOUTS = ("a4", "a6", "stickers", "board")
CJK_PACKAGE = "fonts-noto-cjk"
# spots laid out per WeasyPrint run: pages of one run are held in memory until written
BATCH_SIZE = 20


class PosterError(DomainError):
    """Posters cannot be printed as asked (unknown layout, local URL, no CJK font)."""


class MissingCjkFont(PosterError):
    """No font with Chinese glyphs: WeasyPrint would silently drop every Chinese character."""


@dataclass(frozen=True)
class PosterSpot:
    """What one poster shows of a spot."""

    code: str
    name_zh: str
    name_en: str
    park_zh: str
    park_en: str
    unit_zh: str
    unit_en: str
    url: str
    short_url: str
    svg: Markup


@dataclass(frozen=True)
class StickerCell:
    x: float
    y: float
    corners: list[tuple[float, float, int, int]] = field(default_factory=list)


@dataclass(frozen=True)
class StickerGrid:
    """A fixed grid of stickers on A4 (millimetres), with cut marks at each corner."""

    columns: int = 3
    rows: int = 4
    cell_w: float = 60.0
    cell_h: float = 66.0
    gutter_x: float = 6.0
    gutter_y: float = 5.0
    mark_gap: float = 1.0
    mark_len: float = 3.0

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows

    @property
    def cells(self) -> list[StickerCell]:
        width = self.columns * self.cell_w + (self.columns - 1) * self.gutter_x
        height = self.rows * self.cell_h + (self.rows - 1) * self.gutter_y
        left, top = (210 - width) / 2, (297 - height) / 2
        cells = []
        for row in range(self.rows):
            for column in range(self.columns):
                x = left + column * (self.cell_w + self.gutter_x)
                y = top + row * (self.cell_h + self.gutter_y)
                # each corner with the direction its marks point away from the sticker
                corners = [(x, y, -1, -1), (x + self.cell_w, y, 1, -1),
                           (x, y + self.cell_h, -1, 1), (x + self.cell_w, y + self.cell_h, 1, 1)]
                cells.append(StickerCell(x=round(x, 2), y=round(y, 2), corners=corners))
        return cells


STICKER_GRID = StickerGrid()


def check_cjk_font() -> list[str]:
    """The installed font families with Chinese glyphs; MissingCjkFont if there is none."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        raise MissingCjkFont(
            "fontconfig's fc-list is missing, so no Chinese font can be found for the posters: "
            f"install the Debian packages fontconfig and {CJK_PACKAGE}."
        )
    listing = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=60,
        check=False, env=os.environ.copy(),
    )
    families = sorted({line.split(",")[0].strip() for line in listing.stdout.splitlines()
                       if line.strip()})
    if not families:
        raise MissingCjkFont(
            "No Chinese (CJK) font is installed, and the posters would print without their "
            f"Chinese text. Install the Debian package {CJK_PACKAGE} "
            f"(apt-get install {CJK_PACKAGE}) or fonts-wqy-microhei, then try again."
        )
    return families


def describe_spot(spot: Spot, base_url: str) -> PosterSpot:
    """Collect what a poster prints about a spot, with its QR code as inline SVG."""
    url = spot_url(spot, base_url)
    park, unit = spot.park, spot.park.unit
    return PosterSpot(
        code=spot.code, name_zh=spot.name_zh, name_en=spot.name_en,
        park_zh=park.name_zh, park_en=park.name_en, unit_zh=unit.name_zh, unit_en=unit.name_en,
        url=url, short_url=short_url(url), svg=Markup(render_qr_svg(url)),  # noqa: S704 - our SVG
    )


def board_url(park: Park, base_url: str | None = None) -> str:
    """The address a board poster's code carries: BASE_URL/p/<park_code>."""
    return absolute_url(f"/p/{park.park_code}", base_url)


def describe_board(park: Park, base_url: str) -> PosterSpot:
    """What a board poster prints about a park (its code in `code`), with the QR code."""
    url = board_url(park, base_url)
    unit = park.unit
    return PosterSpot(
        code=park.park_code, name_zh=park.name_zh, name_en=park.name_en,
        park_zh=park.name_zh, park_en=park.name_en, unit_zh=unit.name_zh, unit_en=unit.name_en,
        url=url, short_url=short_url(url), svg=Markup(render_qr_svg(url)),  # noqa: S704 - our SVG
    )


def _parks_of(spots: Sequence[Spot]) -> list[Park]:
    parks: dict[int, Park] = {}
    for spot in spots:
        parks.setdefault(spot.park_id, spot.park)
    return list(parks.values())


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    # everything a poster shows is inline: nothing is fetched, least of all from a network
    raise PosterError(f"posters load no external resources ({url})")


def _import_weasyprint() -> Any:
    """WeasyPrint, imported late (it is slow to import) without its global Pillow setting."""
    from PIL import ImageFile

    truncated_before = ImageFile.LOAD_TRUNCATED_IMAGES
    import weasyprint

    # Importing WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES. Posters hold no
    # raster images, and the photo checks must keep refusing truncated uploads.
    ImageFile.LOAD_TRUNCATED_IMAGES = truncated_before
    return weasyprint


def render_posters_html(spots: Sequence[PosterSpot], layout: str, title: str,
                        fill_sheet: bool = False) -> str:
    """The HTML of posters in one layout (one page per spot, or sheets of stickers)."""
    if layout == "stickers":
        grid = STICKER_GRID
        items = list(spots) * grid.per_sheet if fill_sheet and len(spots) == 1 else list(spots)
        pages = [items[i:i + grid.per_sheet] for i in range(0, len(items), grid.per_sheet)]
        return _render("posters/stickers.html", pages=pages, grid=grid, title=title)
    return _render(f"posters/{layout}.html", spots=spots, title=title)


def _render(template: str, **context: Any) -> str:
    # straight from the Jinja environment: the CLI renders posters outside any request
    return current_app.jinja_env.get_template(template).render(**context)


def off_the_event_loop(work: Callable[[], T]) -> T:
    """Run CPU-bound work (WeasyPrint's layout) in a native thread when serving with gevent.

    In the gevent worker one greenlet that computes for seconds stops every other request
    and socket of the process: visitors' submissions, staff's live events and their pings.
    In a thread of gevent's pool the hub still gets the GIL every few milliseconds. Outside
    gevent (the CLI, tests) the work simply runs here.
    """
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return work()
    if not monkey.is_module_patched("threading"):
        return work()
    import gevent

    return cast(T, gevent.get_hub().threadpool.apply(work))


def _lay_out(weasyprint: Any, html: str) -> Any:
    return weasyprint.HTML(string=html, url_fetcher=_refuse_fetch).render()


def render_posters(
    spots: Sequence[Spot],
    layout: str,
    *,
    base_url: str,
    title: str,
    allow_local: bool = False,
    progress: Callable[[int], None] | None = None,
) -> bytes:
    """Render the spots' posters in one PDF; `progress(n)` is called as n spots are laid out.

    A single spot in the sticker layout fills a whole sheet with its code.
    """
    if layout not in LAYOUTS:
        raise PosterError(f"unknown layout {layout!r}: use one of {', '.join(LAYOUTS)}")
    if not spots:
        raise PosterError("no spots to print")
    try:
        check_base_url(base_url, allow_local=allow_local)
    except ValueError as error:
        raise PosterError(str(error)) from error
    check_cjk_font()
    weasyprint = _import_weasyprint()  # after the font check: it warns when no font exists
    log.info("rendering posters: %d spots, layout %s", len(spots), layout)

    # Batches bound the memory of layout; the stickers of a batch fill whole sheets.
    batch = STICKER_GRID.per_sheet * 2 if layout == "stickers" else BATCH_SIZE
    # a board poster is the park's: one page per park of the spots given
    subjects: Sequence[Spot | Park] = _parks_of(spots) if layout == "board" else spots
    documents: list[Any] = []
    for start in range(0, len(subjects), batch):
        chunk = subjects[start:start + batch]
        poster_spots = [describe_board(item, base_url) if isinstance(item, Park)
                        else describe_spot(item, base_url) for item in chunk]
        html = render_posters_html(poster_spots, layout, title, fill_sheet=len(spots) == 1)
        documents.append(off_the_event_loop(partial(_lay_out, weasyprint, html)))
        if progress is not None:
            progress(len(chunk))
    pages = [page for document in documents for page in document.pages]
    pdf: bytes = off_the_event_loop(documents[0].copy(pages).write_pdf)
    log.info("posters rendered: %d spots, layout %s, %d pages, %d bytes",
             len(spots), layout, len(pages), len(pdf))
    return pdf
