"""Bulk import of employees from the HR system's file: dry-run preview with line errors,
one transaction, updates by staff ID, HR and training managers only, and no way to change
passwords, roles or admin rights through a file."""

import datetime as dt
import io

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from accounts import services
from accounts.models import User
from accounts.tests.factories import CentreFactory, PositionFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = "工号,姓名,中心,班组,岗位,入职日期,学历\n"


@pytest.fixture
def org(db):
    centre = CentreFactory(code="hb", name="湖北中心")
    return {
        "centre": centre,
        "team": TeamFactory(centre=centre, name="服务一班"),
        "position": PositionFactory(code="csr-hotline", name="热线客服"),
    }


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    return (header + "\n".join(lines) + "\n").encode("utf-8")


def run(by, content: bytes, *, dry_run=False, name="hr.csv"):
    return services.employees_import(file_name=name, content=content, by=by, dry_run=dry_run)


def test_hr_creates_and_updates_employees_by_staff_id(hr, org):
    # given: one existing employee (lower-case staff ID in the file)
    existing = UserFactory(staff_id="HB1001", name="旧名字", centre=org["centre"], team=None)
    content = csv_bytes(
        "hb1001,张三,湖北中心,服务一班,热线客服,2024-03-01,本科",
        "HB1002,李四,hb,服务一班,csr-hotline,2025/07/15,大专",
    )
    # when
    report = run(hr, content)
    # then
    existing.refresh_from_db()
    assert (report.new, report.updated) == (1, 1)
    assert (
        existing.name,
        existing.team,
        existing.position,
        existing.hire_date,
        existing.education,
    ) == ("张三", org["team"], org["position"], dt.date(2024, 3, 1), "bachelor")
    new = User.objects.get(staff_id="HB1002")
    assert not new.has_usable_password() and new.role_names == ["CSR"]
    assert (new.centre, new.education) == (org["centre"], "junior_college")


def test_dry_run_reports_changes_and_writes_nothing(hr, org):
    report = run(
        hr, csv_bytes("HB1002,李四,湖北中心,服务一班,热线客服,2025-07-15,大专"), dry_run=True
    )
    assert report.new == 1 and report.rows[0]["line"] == 2 and not report.has_errors
    assert not User.objects.filter(staff_id="HB1002").exists()


def test_one_bad_line_imports_nothing_and_names_the_line(hr, org):
    content = csv_bytes(
        "HB1002,李四,湖北中心,服务一班,热线客服,2025-07-15,大专",
        "HB1003,王五,湖北中心,不存在的班,热线客服,2025-07-15,大专",
        "HB1004,,湖北中心,,,,",
    )
    with pytest.raises(services.EmployeeImportInvalid) as error:
        run(hr, content)
    assert not User.objects.filter(staff_id__in=["HB1002", "HB1003", "HB1004"]).exists()
    lines = dict(error.value.line_errors)
    assert "Unknown team “不存在的班” in centre 湖北中心." in lines[3]
    assert "The name is missing." in lines[4]
    assert 2 not in lines


@pytest.mark.parametrize(
    "column", ["is_superuser", "is_staff", "password", "groups", "角色", "level", "is_active"]
)
def test_a_file_trying_to_set_admin_rights_passwords_or_roles_is_refused(hr, org, column):
    # given: the HR user tries to make themselves a superuser through the file
    content = csv_bytes("HR001,人事吴,1", header=f"staff_id,name,{column}\n")
    # when / then
    with pytest.raises(services.EmployeeImportInvalid) as error:
        run(hr, content)
    assert "cannot be imported" in error.value.line_errors[0][1]
    hr.refresh_from_db()
    assert not hr.is_superuser and not hr.is_staff and hr.has_usable_password()


def test_an_admin_account_cannot_be_changed_by_import(hr, org):
    admin = UserFactory(staff_id="ADMIN1", name="管理员", is_staff=True, is_superuser=True)
    with pytest.raises(services.EmployeeImportInvalid, match="nothing was imported") as error:
        run(hr, csv_bytes("ADMIN1,被改名,湖北中心,服务一班,,,"))
    assert "ADMIN1 has admin rights" in error.value.line_errors[0][1]
    admin.refresh_from_db()
    assert admin.name == "管理员"


def test_import_keeps_existing_roles_and_password(hr, org, reviewer):
    run(hr, csv_bytes(f"{reviewer.staff_id},新名字,湖北中心,服务一班,,,"))
    reviewer.refresh_from_db()
    assert reviewer.name == "新名字"
    assert (
        reviewer.role_names == ["CSR", "Reviewer"]
        and reviewer.has_usable_password()
        and reviewer.level == 4
    )


@pytest.mark.parametrize("user_fixture", ["csr", "team_leader", "ops_manager"])
def test_only_hr_and_training_managers_may_import(request, org, user_fixture):
    user = request.getfixturevalue(user_fixture)
    with pytest.raises(services.EmployeeImportDenied):
        run(user, csv_bytes("HB1002,李四,,,,,"))
    assert not User.objects.filter(staff_id="HB1002").exists()


def test_training_manager_may_import(training_manager, org):
    assert run(training_manager, csv_bytes("HB1002,李四,,,,,")).new == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("hr.pdf", b"%PDF-1.4", "Upload a CSV or XLSX file."),
        ("hr.xlsx", b"PK\x03\x04 not really a workbook", "The XLSX file cannot be read."),
        ("hr.csv", b"", "The file is empty."),
        ("hr.csv", b"name\n\xe5\xbc\xa0\n", "The required column “staff_id” is missing."),
        ("hr.csv", b"x" * (2 * 1024 * 1024 + 1), "The file is larger than 2 MB."),
    ],
)
def test_bad_files_are_refused_with_a_message(hr, name, content, message):
    with pytest.raises(services.EmployeeImportInvalid) as error:
        run(hr, content, name=name)
    assert message in [m for _line, m in error.value.line_errors]


def test_xlsx_with_real_dates_and_gbk_csv_are_read(hr, org):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["工号", "姓名", "中心", "入职日期"])
    sheet.append([20240001, "赵六", "湖北中心", dt.datetime(2024, 1, 2)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert run(hr, buffer.getvalue(), name="hr.xlsx").new == 1
    assert User.objects.get(staff_id="20240001").hire_date == dt.date(2024, 1, 2)
    assert run(hr, "工号,姓名\nHB2001,孙七\n".encode("gb18030"), name="hr.csv").new == 1


# --- the HR page ------------------------------------------------------------------------------


def upload(content: bytes, name="hr.csv"):
    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_page_preview_then_confirm_imports(client, hr, org):
    client.force_login(hr)
    url = reverse("accounts:employee_import")
    preview = client.post(
        url, {"file": upload(csv_bytes("HB1002,李四,湖北中心,服务一班,热线客服,2025-07-15,大专"))}
    )
    assert preview.status_code == 200
    assert "1 new, 0 updated, 0 unchanged." in preview.content.decode()
    assert not User.objects.filter(staff_id="HB1002").exists()
    done = client.post(url, {"token": preview.context["token"]})
    assert done.status_code == 302
    assert User.objects.filter(staff_id="HB1002").exists()


def test_page_shows_line_errors_as_400_without_a_confirm_button(client, hr, org):
    client.force_login(hr)
    response = client.post(
        reverse("accounts:employee_import"), {"file": upload(csv_bytes("HB1002,李四,火星中心,,,,"))}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Unknown centre “火星中心”." in body and 'name="token"' not in body


def test_page_refuses_a_token_of_another_user(client, hr, training_manager, org):
    client.force_login(hr)
    preview = client.post(
        reverse("accounts:employee_import"), {"file": upload(csv_bytes("HB1002,李四,,,,,"))}
    )
    client.force_login(training_manager)
    client.post(reverse("accounts:employee_import"), {"token": preview.context["token"]})
    assert not User.objects.filter(staff_id="HB1002").exists()


def test_page_is_403_for_a_csr_and_405_for_put(client, csr, hr):
    client.force_login(csr)
    assert client.get(reverse("accounts:employee_import")).status_code == 403
    client.force_login(hr)
    assert client.get(reverse("accounts:employee_import")).status_code == 200
    assert client.put(reverse("accounts:employee_import")).status_code == 405


def test_page_refuses_a_non_spreadsheet_upload_as_a_form_error(client, hr):
    client.force_login(hr)
    response = client.post(
        reverse("accounts:employee_import"), {"file": upload(b"%PDF", name="a.pdf")}
    )
    assert response.status_code == 400
    assert "Upload a CSV or XLSX file." in response.content.decode()


def test_admin_import_needs_the_import_permission(client, org):
    staff_without = UserFactory(is_staff=True, roles=["Operations manager"])
    staff_without.user_permissions.add(
        *Group.objects.get(name="Operations manager").permissions.all()
    )
    client.force_login(staff_without)
    assert client.get(reverse("admin:accounts_user_import")).status_code == 403
    manager = UserFactory(is_staff=True, roles=["Training manager"])
    client.force_login(manager)
    assert client.get(reverse("admin:accounts_user_import")).status_code == 200


def test_admin_import_uses_the_same_refusals(client, training_manager, org):
    # given: the admin's own import form (import-export) with a file that would grant rights
    from import_export.formats.base_formats import CSV

    from accounts.admin import UserAdmin

    client.force_login(training_manager)
    formats = UserAdmin(User, None).get_import_formats()
    response = client.post(
        reverse("admin:accounts_user_import"),
        {
            "resource": 0,
            "format": formats.index(CSV),
            "import_file": upload(b"staff_id,name,is_superuser\nTM001,x,1\n"),
        },
    )
    # then: the preview shows the refusal and nothing changed
    assert "cannot be imported" in response.content.decode()
    training_manager.refresh_from_db()
    assert not training_manager.is_superuser and training_manager.name == "培训经理周"


# --- the API ---------------------------------------------------------------------------------


def test_api_dry_run_then_import(api, hr, org):
    api.force_authenticate(hr)
    url = reverse("api-employees-import")
    content = csv_bytes("HB1002,李四,湖北中心,服务一班,热线客服,2025-07-15,大专")
    preview = api.post(url, {"file": upload(content)}, format="multipart")
    assert preview.status_code == 200
    assert (preview.json()["dry_run"], preview.json()["new"]) == (True, 1)
    assert not User.objects.filter(staff_id="HB1002").exists()
    done = api.post(url, {"file": upload(content), "dry_run": "false"}, format="multipart")
    assert done.status_code == 200 and done.json()["new"] == 1
    assert User.objects.filter(staff_id="HB1002").exists()


def test_api_line_errors_are_400_with_field_messages(api, hr, org):
    api.force_authenticate(hr)
    response = api.post(
        reverse("api-employees-import"),
        {"file": upload(csv_bytes("HB1002,李四,火星中心,,,,")), "dry_run": "false"},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"file.2": ["centre: Unknown centre “火星中心”."]}


def test_api_forbidden_column_is_400_and_csr_is_403(api, hr, csr):
    api.force_authenticate(hr)
    response = api.post(
        reverse("api-employees-import"),
        {"file": upload(b"staff_id,name,is_superuser\nHR001,x,1\n"), "dry_run": "false"},
        format="multipart",
    )
    assert response.status_code == 400 and "file" in response.json()["fields"]
    api.force_authenticate(csr)
    assert (
        api.post(
            reverse("api-employees-import"), {"file": upload(b"a")}, format="multipart"
        ).status_code
        == 403
    )
    api.force_authenticate(hr)
    assert api.get(reverse("api-employees-import")).status_code == 405


def test_blank_optional_cells_keep_the_current_values(hr, org):
    existing = UserFactory(
        staff_id="HB1001",
        name="张三",
        centre=org["centre"],
        team=org["team"],
        position=org["position"],
        hire_date=dt.date(2024, 3, 1),
        education="bachelor",
    )
    report = run(hr, csv_bytes("HB1001,张三丰,,,,,"))
    existing.refresh_from_db()
    assert report.updated == 1
    assert (
        existing.name,
        existing.centre,
        existing.team,
        existing.position,
        existing.hire_date,
        existing.education,
    ) == ("张三丰", org["centre"], org["team"], org["position"], dt.date(2024, 3, 1), "bachelor")
