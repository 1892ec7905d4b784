"""Read rendered posters as a person's tools would: text, fonts and QR codes of a PDF."""

from __future__ import annotations

import subprocess
from pathlib import Path

import zxingcpp
from PIL import Image


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "text.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def embedded_fonts(pdf: bytes, tmp_path: Path) -> list[str]:
    """Names of the fonts embedded in the PDF, as pdffonts lists them."""
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                             check=True).stdout
    # columns: name type... encoding emb sub uni object-id generation
    rows = [line.split() for line in listing.splitlines()[2:] if line.strip()]
    return [row[0] for row in rows if row[-5] == "yes"]


def pdf_pages(pdf: bytes, tmp_path: Path) -> int:
    path = tmp_path / "info.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
    return int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))


def decode_pdf_qr_codes(pdf: bytes, tmp_path: Path, dpi: int = 150) -> list[list[str]]:
    """The texts of the QR codes found on each page, rasterised with pdftoppm."""
    path = tmp_path / "qr.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(path),
                    str(tmp_path / "page")], check=True)
    pages = []
    for image_path in sorted(tmp_path.glob("page-*.png"), key=lambda p: int(p.stem.split("-")[-1])):
        with Image.open(image_path) as image:
            results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        pages.append(sorted(result.text for result in results))
    return pages
