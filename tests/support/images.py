"""Image files made on the fly for upload tests (no binary fixtures in the repo)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg_with_gps_rotated(width: int = 60, height: int = 40) -> bytes:
    """A landscape JPEG whose EXIF says 'rotate 90 CW' (orientation 6) and holds GPS data.

    The left half is red and the right half blue, so the stored result's orientation can
    be checked from its pixels.
    """
    image = Image.new("RGB", (width, height), "blue")
    image.paste((255, 0, 0), (0, 0, width // 2, height))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "PhoneMaker"  # camera make
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 26.0, 4.0)})
    output = io.BytesIO()
    image.save(output, format="JPEG", exif=exif, quality=95)
    return output.getvalue()


def png(width: int = 32, height: int = 24, mode: str = "RGBA") -> bytes:
    output = io.BytesIO()
    Image.new(mode, (width, height), (0, 128, 0, 128) if mode == "RGBA" else "green").save(
        output, format="PNG")
    return output.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a huge size but carries almost no data (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + chunk(b"IEND", b""))


NOT_IMAGES = {
    "html": b"<!doctype html><html><body><script>alert(1)</script></body></html>",
    "svg": b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" '
           b'onload="alert(1)"><rect width="10" height="10"/></svg>',
    "php": b"<?php system($_GET['c']); ?>",
    "pdf": b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
}


# what a stored photo may hold besides pixels: the JFIF header (APP0), tables, frame, scan
PIXEL_MARKERS = frozenset({0xE0, 0xDB, 0xC4, 0xC0, 0xC1, 0xC2, 0xDD, 0xDA})
PLANTED = "Wang Ayi 13912345678"  # planted in every metadata field of the uploads below


def jpeg_markers(data: bytes) -> list[int]:
    """The segment markers of a JPEG up to its first scan (APP1 = 0xE1, COM = 0xFE, ...)."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    markers, position = [], 2
    while position < len(data):
        assert data[position] == 0xFF, f"no marker at {position}"
        marker = data[position + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        (length,) = struct.unpack(">H", data[position + 2:position + 4])
        position += 2 + length
    return markers


def _iptc(text: str) -> bytes:
    """An APP13 (Photoshop IRB) segment with an IPTC caption."""
    value = text.encode()
    iptc = b"\x1c\x02\x78" + struct.pack(">H", len(value)) + value  # 2:120 caption
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iptc))
    resource += iptc + (b"\x00" if len(iptc) % 2 else b"")
    body = b"Photoshop 3.0\x00" + resource
    return b"\xff\xed" + struct.pack(">H", len(body) + 2) + body


def jpeg_with_every_metadata() -> bytes:
    """A JPEG carrying EXIF (camera, GPS, maker note, owner), XMP, ICC, IPTC and a COM
    comment segment, each holding PLANTED."""
    image = Image.new("RGB", (48, 32), "green")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x013B] = PLANTED  # artist
    exif.get_ifd(0x8769)[0x927C] = b"MakerNote " + PLANTED.encode()  # maker note
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 26.0, 4.0)})
    xmp = (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
           f'02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"'
           f' dc:creator="{PLANTED}"/></rdf:RDF></x:xmpmeta>').encode()
    icc = b"\x00" * 128 + PLANTED.encode()
    output = io.BytesIO()
    image.save(output, format="JPEG", exif=exif, xmp=xmp, icc_profile=icc,
               comment=PLANTED.encode(), quality=95)
    data = output.getvalue()
    return data[:2] + _iptc(PLANTED) + data[2:]


def png_with_text_metadata() -> bytes:
    """A PNG whose text chunks hold PLANTED as a comment, an XMP packet and an author."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("comment", PLANTED)
    info.add_text("Author", PLANTED)
    info.add_itxt("XML:com.adobe.xmp", f"<x:xmpmeta>{PLANTED}</x:xmpmeta>")
    output = io.BytesIO()
    Image.new("RGB", (30, 20), "blue").save(output, format="PNG", pnginfo=info)
    return output.getvalue()


def gif_with_comment() -> bytes:
    output = io.BytesIO()
    Image.new("P", (20, 20), 1).save(output, format="GIF", comment=PLANTED.encode())
    return output.getvalue()


def webp_with_metadata() -> bytes:
    exif = Image.Exif()
    exif[0x013B] = PLANTED
    output = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(output, format="WEBP", exif=exif,
                                           xmp=f"<x:xmpmeta>{PLANTED}</x:xmpmeta>".encode())
    return output.getvalue()
