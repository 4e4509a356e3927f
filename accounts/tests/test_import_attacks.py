"""Attacks on the employee import: moving oneself, formula cells reaching the exports,
XLSX zip bombs, another user's preview token."""

import io
import zipfile

import pytest
from openpyxl import load_workbook

from accounts import services
from accounts.tests.factories import CentreFactory, TeamFactory, UserFactory
from config.exports import csv_chunks, xlsx_write

pytestmark = pytest.mark.django_db

HEADER = "工号,姓名,中心,班组\n"


def test_an_hr_team_leader_cannot_move_themselves_into_another_team_by_file(db):
    # given: an HR user who also leads team A (and so rates team A's behaviour)
    centre = CentreFactory(code="hb", name="湖北中心")
    team_a, team_b = (
        TeamFactory(centre=centre, name="一班"),
        TeamFactory(centre=centre, name="二班"),
    )
    hr = UserFactory(
        staff_id="HR009", name="人事兼组长", roles=["HR", "Team leader"], centre=centre, team=team_a
    )
    content = (HEADER + "HR009,人事兼组长,湖北中心,二班\n").encode()
    # when: the file moves their own row into team B / then: refused, nothing changed
    with pytest.raises(services.EmployeeImportInvalid) as error:
        services.employees_import(file_name="x.csv", content=content, by=hr, dry_run=False)
    assert "HR009 is your own account" in error.value.line_errors[0][1]
    hr.refresh_from_db()
    assert hr.team == team_a
    # another HR user may make the change
    other = UserFactory(staff_id="HR010", name="人事二", roles=["HR"])
    services.employees_import(file_name="x.csv", content=content, by=other, dry_run=False)
    hr.refresh_from_db()
    assert hr.team == team_b


def test_formula_cells_are_exported_as_text():
    evil = '=HYPERLINK("http://evil.example","点我")'
    rows = [["HB1001", evil, "+cmd|' /C calc'!A0", 5]]
    text = b"".join(csv_chunks(["工号", "姓名", "x", "n"], rows)).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'+cmd" in text and ",5" in text
    buffer = io.BytesIO()
    xlsx_write(buffer, sheet_name="s", headers=["工号", "姓名", "x", "n"], rows=rows)
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).worksheets[0]
    assert sheet["B2"].data_type == "s" and sheet["B2"].value == evil
    assert sheet["D2"].value == 5


def _zip_bomb() -> bytes:
    """A real workbook (工号, 姓名 / HB1, the name) whose one name cell is 80 MB of 'A'."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["工号", "姓名"])
    book.active.append(["HB1", "NAME"])
    source = io.BytesIO()
    book.save(source)
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(source.getvalue())) as original,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for info in original.infolist():
            data = original.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"NAME", b"A" * (80 * 1024 * 1024))
            archive.writestr(info.filename, data)
    return buffer.getvalue()


def test_an_xlsx_zip_bomb_is_refused_before_it_is_unpacked(hr):
    content = _zip_bomb()
    assert len(content) < 2 * 1024 * 1024
    with pytest.raises(services.EmployeeImportInvalid) as error:
        services.employees_import(file_name="bomb.xlsx", content=content, by=hr, dry_run=True)
    assert "unpacks to more than" in error.value.line_errors[0][1]


@pytest.mark.parametrize("staff_id", ["ＨＢ1001", "HB 1001", "HB1001\u200b", "HB١٠٠١"])
def test_a_lookalike_staff_id_is_refused_not_created_beside_the_real_one(hr, staff_id):
    UserFactory(staff_id="HB1001", name="真员工")
    content = (HEADER + f"{staff_id},冒名\n").encode()
    with pytest.raises(services.EmployeeImportInvalid):
        services.employees_import(file_name="x.csv", content=content, by=hr, dry_run=False)
    from accounts.models import User

    assert not User.objects.filter(name="冒名").exists()


def test_the_api_confirms_nothing_without_the_file_itself(api, hr, db):
    # the API has no preview token to steal: every call carries its file, dry run by default
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.models import User

    api.force_authenticate(hr)
    from django.urls import reverse

    url = reverse("api-employees-import")
    answer = api.post(
        url,
        {"file": SimpleUploadedFile("x.csv", (HEADER + "HB2001,新人\n").encode())},
        format="multipart",
    )
    assert answer.status_code == 200 and not User.objects.filter(staff_id="HB2001").exists()


def test_a_header_a_million_columns_wide_is_refused_before_rows_are_padded(hr):
    # 1 MB of commas in the header, then 5,000 short rows: padding each row to the header's
    # width would build billions of cells
    content = ("工号,姓名" + "," * 1_000_000 + "x\n" + "HB1,名\n" * 5000).encode()
    assert len(content) < 2 * 1024 * 1024
    with pytest.raises(services.EmployeeImportInvalid) as error:
        services.employees_import(file_name="wide.csv", content=content, by=hr, dry_run=True)
    assert "At most 64 columns" in error.value.line_errors[0][1]


def test_trailing_empty_header_cells_are_not_columns(hr, db):
    content = ("工号,姓名" + "," * 200 + "\nHB7001,新人\n").encode()
    report = services.employees_import(file_name="x.csv", content=content, by=hr, dry_run=True)
    assert report.new == 1 and not report.has_errors
