"""Draw the staff app's home-screen icons (app/static/icons/icon-192.png, icon-512.png).

The same envelope as favicon.svg, full-bleed so that a "maskable" crop keeps it whole.
Run once after changing the design: .venv/bin/python scripts/make_icons.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "app/static/icons"
GREEN = (29, 107, 58)
WHITE = (255, 255, 255)


def draw(size: int) -> Image.Image:
    image = Image.new("RGB", (size, size), GREEN)
    pen = ImageDraw.Draw(image)
    unit = size / 32
    width = max(2, round(1.6 * unit))
    # inside the maskable safe zone (the middle 80%)
    left, top, right, bottom = 9 * unit, 11.5 * unit, 23 * unit, 20.5 * unit
    pen.rectangle((left, top, right, bottom), outline=WHITE, width=width)
    pen.line((left, top, 16 * unit, 17 * unit, right, top), fill=WHITE, width=width,
             joint="curve")
    return image


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        draw(size).save(OUT / f"icon-{size}.png", optimize=True)


if __name__ == "__main__":
    main()
