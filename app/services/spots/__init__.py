"""Spots: the places in a park that carry a QR code.

- `spots`: create, edit, deactivate and re-code spots; count scans.
- `qr`: the URL a code carries, as SVG and PNG; `posters`: printable PDFs.
- `cache`: what the visitor form shows of a spot, kept in memory for a few seconds.
"""
