"""Poster rendering speed: pages per second against WeasyPrint's plain pages, same run.

    .venv/bin/python bench/posters.py [SPOTS] [--layout a4|a6|stickers]

The baseline renders the same number of plain A4 pages (one Chinese paragraph each, same
font) with WeasyPrint in the same process, so the ratio says what our templates, QR codes
and batching cost on top of WeasyPrint itself, whatever else the machine is doing.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import weasyprint  # noqa: E402

from app import create_app  # noqa: E402
from app.config import TestingConfig  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Park, Spot, Unit  # noqa: E402
from app.security import new_spot_code  # noqa: E402
from app.services.spots.posters import STICKER_GRID, render_posters  # noqa: E402

PLAIN_PAGE = ('<section style="break-after: page"><h1>日坛公园 第 {n} 页</h1>'
              "<p>园长信箱 · 扫码反映问题 · 件件有回应。Director's Mailbox.</p></section>")


def plain_pages(count: int) -> bytes:
    html = ('<html><head><style>@page { size: A4 } html { font-family: "Noto Sans CJK SC" }'
            "</style></head><body>" + "".join(PLAIN_PAGE.format(n=n) for n in range(count))
            + "</body></html>")
    return weasyprint.HTML(string=html).write_pdf()  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spots", type=int, nargs="?", default=100)
    parser.add_argument("--layout", default="a4", choices=("a4", "a6", "stickers"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder}/bench.db",
                         BASE_URL="https://parks.example.org")
        with app.app_context():
            db.create_all()
            unit = Unit(code="RT", name_zh="日坛公园管理处", name_en="Ritan Park Office")
            park = Park(name_zh="百子湾园", name_en="Baiziwan Park")
            park.spots.extend(Spot(code=new_spot_code(), name_zh=f"北门厕所 {n}",
                                     name_en=f"North gate toilet {n}")
                               for n in range(args.spots))
            unit.parks.append(park)
            db.session.add(unit)
            db.session.commit()

            pages = args.spots if args.layout != "stickers" else\
                -(-args.spots // STICKER_GRID.per_sheet)
            plain_pages(2)  # warm up fonts and imports for both measurements
            start = time.perf_counter()
            plain_pages(pages)
            plain_seconds = time.perf_counter() - start

            start = time.perf_counter()
            pdf = render_posters(park.spots, args.layout, base_url=app.config["BASE_URL"],
                                 title=park.name_zh)
            poster_seconds = time.perf_counter() - start
            db.session.remove()
            db.engine.dispose()

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    plain_rate, poster_rate = pages / plain_seconds, pages / poster_seconds
    print(f"spots: {args.spots}  layout: {args.layout}  pages: {pages}  "
          f"pdf: {len(pdf) / 1024:.0f} KiB  peak RSS: {peak_mb:.0f} MiB")
    print(f"plain WeasyPrint pages: {plain_rate:.2f} pages/s ({plain_seconds:.1f} s)")
    print(f"posters:                {poster_rate:.2f} pages/s ({poster_seconds:.1f} s)")
    print(f"ratio posters/plain:    {poster_rate / plain_rate:.2f}")


if __name__ == "__main__":
    main()
