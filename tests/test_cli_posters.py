"""`flask posters PARK_ID --layout ... -o out.pdf`: a park's posters from the command line."""

from __future__ import annotations

from app.extensions import db as _db
from tests.support.posters import decode_pdf_qr_codes


def test_posters_writes_every_active_spot(app, unit, spot, tmp_path):
    park = unit.parks[0]
    output = tmp_path / "out.pdf"
    result = app.test_cli_runner().invoke(
        args=["posters", str(park.id), "--layout", "a6", "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert "1 spots" in result.output
    assert decode_pdf_qr_codes(output.read_bytes(), tmp_path) ==\
        [[f"https://parks.example.org/q/{spot.code}"]]


def test_posters_refuses_a_local_base_url_unless_allowed(app, unit, tmp_path):
    app.config["BASE_URL"] = "http://localhost:5000"
    output = tmp_path / "out.pdf"
    args = ["posters", str(unit.parks[0].id), "--layout", "stickers", "-o", str(output)]
    refused = app.test_cli_runner().invoke(args=args)
    assert refused.exit_code == 1
    assert "--allow-local" in refused.output
    assert not output.exists()
    allowed = app.test_cli_runner().invoke(args=[*args, "--allow-local"])
    assert allowed.exit_code == 0, allowed.output
    assert output.read_bytes().startswith(b"%PDF")


def test_posters_of_an_unknown_park_or_one_without_spots(app, unit, spot, tmp_path):
    output = str(tmp_path / "out.pdf")
    unknown = app.test_cli_runner().invoke(args=["posters", "999", "-o", output])
    assert unknown.exit_code == 1
    assert "no park" in unknown.output
    spot.active = False
    _db.session.commit()
    empty = app.test_cli_runner().invoke(args=["posters", str(unit.parks[0].id), "-o", output])
    assert empty.exit_code == 1
    assert "no active spots" in empty.output
