"""Volunteer sheets: every row within the rule's maximum, one row per person and day, and a
sheet recognised by its rows — never by its bytes — so nothing is paid twice."""

import codecs
import io
from datetime import date, datetime

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from accounts.tests.factories import UserFactory
from config.errors import AppError
from points import selectors, services
from points.models import PointsEntry, VolunteerSheet, VolunteerSheetRow
from tests.concurrency import run_at_once

pytestmark = pytest.mark.django_db

HEADER = ["staff_id", "date", "hours", "points", "note"]


def importer():
    return UserFactory(roles=["Training manager"])


def people(n: int):
    return [UserFactory(roles=["CSR"]) for _ in range(n)]


def csv_of(rows, *, newline="\n", bom=False, header=HEADER, encoding="utf-8") -> bytes:
    text = newline.join(",".join(str(c) for c in row) for row in [header, *rows]) + newline
    return (codecs.BOM_UTF8 if bom else b"") + text.encode(encoding)


def xlsx_of(rows, header=HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in [header, *rows]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def do_import(content: bytes, name: str = "week10.csv", by=None):
    return services.volunteer_sheet_import(
        file_name=name, content=content, imported_by=by or importer()
    )


def line_errors(content: bytes, name: str = "w.csv") -> list[tuple[int, str]]:
    with pytest.raises(services.VolunteerSheetRejected) as exc:
        do_import(content, name)
    return exc.value.line_errors


# --- numbers in a row ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ("3000000000", "Points 3000000000 are above the maximum of 50 per row (rule “志愿服务”)."),
        ("999999", "Points 999999 are above the maximum of 50 per row (rule “志愿服务”)."),
        ("51", "Points 51 are above the maximum of 50 per row (rule “志愿服务”)."),
        (
            "1e999999999",
            "Points 1e999999999 are above the maximum of 50 per row (rule “志愿服务”).",
        ),
        ("-5", "Points must not be negative."),
        ("0", "Points must be greater than zero."),
        ("2.5", "Points “2.5” is not a whole number."),
        ("abc", "Points “abc” is not a whole number."),
        ("NaN", "Points “NaN” is not a whole number."),
    ],
)
def test_a_row_with_bad_points_is_a_line_error_and_nothing_is_paid(points, message):
    # given: a good row and a bad one
    a, b = people(2)
    content = csv_of(
        [[a.staff_id, "2026-03-02", 2, 10, ""], [b.staff_id, "2026-03-02", 2, points, ""]]
    )
    # when / then
    assert line_errors(content) == [(3, message)]
    assert not PointsEntry.objects.exists() and not VolunteerSheet.objects.exists()


def test_a_row_above_the_maximum_follows_the_rule_an_admin_lowered():
    # given
    from points.models import PointRule

    PointRule.objects.filter(code="volunteer_sheet").update(max_amount=20)
    a = UserFactory()
    # when / then
    assert line_errors(csv_of([[a.staff_id, "2026-03-02", 2, 21, ""]])) == [
        (2, "Points 21 are above the maximum of 20 per row (rule “志愿服务”).")
    ]
    assert do_import(csv_of([[a.staff_id, "2026-03-02", 2, 20, ""]])).total_points == 20


def test_an_xlsx_row_with_a_huge_float_is_a_line_error():
    a = UserFactory()
    content = xlsx_of([[a.staff_id, datetime(2026, 3, 2), 2, 3e9, ""]])
    assert line_errors(content, "w.xlsx") == [
        (2, "Points 3000000000 are above the maximum of 50 per row (rule “志愿服务”).")
    ]


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (["", 2], "The date is missing: each row is one person's help on one day."),
        (["2026-13-40", 2], "Date “2026-13-40” is not a date (use YYYY-MM-DD)."),
        (["2026-06-02", 2], "The date 2026-06-02 is in the future."),
        (["2026-03-02", 25], "Hours must not exceed 24 in a day."),
    ],
)
def test_each_row_is_one_persons_help_on_one_past_day(cells, message):
    a = UserFactory()
    day, hours = cells
    with time_machine.travel(datetime(2026, 6, 1, 12), tick=False):
        assert line_errors(csv_of([[a.staff_id, day, hours, 10, ""]])) == [(2, message)]


def test_a_sheet_without_a_date_column_is_refused_on_line_one():
    a = UserFactory()
    content = csv_of([[a.staff_id, 2, 10]], header=["staff_id", "hours", "points"])
    assert line_errors(content) == [(1, "Missing column: date.")]


def test_two_rows_for_one_person_on_one_day_are_refused_and_the_next_day_is_paid():
    a = UserFactory()
    assert line_errors(
        csv_of(
            [[a.staff_id, "2026-03-02", 2, 10, "午餐"], [a.staff_id, "2026-03-02", 1, 5, "晚餐"]]
        )
    ) == [(3, "Duplicate of line 2.")]
    sheet = do_import(
        csv_of(
            [[a.staff_id, "2026-03-02", 3, 15, "午餐+晚餐"], [a.staff_id, "2026-03-03", 1, 5, ""]]
        )
    )
    assert sheet.total_points == 20 and selectors.points_balance(a) == 20


# --- the same sheet again --------------------------------------------------------------------

ROWS = [
    ["A1", "2026-03-02", "2.5", "10", "帮厨"],
    ["B2", "2026-03-03", "4", "20", ""],
    ["C3", "2026-03-04", "1", "5", ""],
]


def resaved(variant: str, rows) -> tuple[str, bytes]:
    if variant == "crlf":
        return "week10.csv", csv_of(rows, newline="\r\n")
    if variant == "bom":
        return "week10 (1).csv", csv_of(rows, bom=True)
    if variant == "bom+crlf":
        return "week10.csv", csv_of(rows, newline="\r\n", bom=True)
    if variant == "gb18030":
        return "week10.csv", csv_of(rows, encoding="gb18030")
    if variant == "reordered":
        return "week10.csv", csv_of(list(reversed(rows)))
    if variant == "lower-case staff IDs and padded numbers":
        return "week10.csv", csv_of(
            [
                [f" {s.lower()} ", d, f"{h}0" if "." in h else f"{h}.00", f"{p}.0", n]
                for s, d, h, p, n in rows
            ]
        )
    if variant == "other notes":
        return "week10.csv", csv_of([[s, d, h, p, "改了备注"] for s, d, h, p, _ in rows])
    if (
        variant == "xlsx"
    ):  # opened in Excel and saved as a workbook: dates and numbers become typed cells
        return "week10.xlsx", xlsx_of(
            [[s, datetime.fromisoformat(d), float(h), int(p), n] for s, d, h, p, n in rows]
        )
    if variant == "xlsx with Chinese headers, reordered":
        return "第10周.xlsx", xlsx_of(
            [[s, date.fromisoformat(d), h, p, n] for s, d, h, p, n in reversed(rows)],
            header=["工号", "日期", "时长", "积分", "备注"],
        )
    raise AssertionError(variant)


@pytest.mark.parametrize(
    "variant",
    [
        "crlf",
        "bom",
        "bom+crlf",
        "gb18030",
        "reordered",
        "lower-case staff IDs and padded numbers",
        "other notes",
        "xlsx",
        "xlsx with Chinese headers, reordered",
    ],
)
def test_the_same_sheet_saved_again_is_refused_and_nothing_is_paid_twice(variant):
    # given: last week's sheet was imported (CSV, LF)
    for staff_id in ("A1", "B2", "C3"):
        UserFactory(staff_id=staff_id)
    first = do_import(csv_of(ROWS))
    paid = list(PointsEntry.objects.values_list("pk", flat=True))
    name, content = resaved(variant, ROWS)
    # when / then
    with pytest.raises(services.PointsConflict) as exc:
        do_import(content, name)
    assert exc.value.messages == [
        f"This sheet was already imported as sheet #{first.pk} on "
        f"{timezone.localdate(first.imported_at).isoformat()} "
        "(the same rows); nothing was paid again."
    ]
    assert list(PointsEntry.objects.values_list("pk", flat=True)) == paid
    assert VolunteerSheet.objects.count() == 1 and VolunteerSheetRow.objects.count() == 3


def test_a_row_already_paid_by_another_sheet_is_a_line_error_and_the_sheet_pays_nothing():
    # given
    a, b, c = people(3)
    first = do_import(
        csv_of([[a.staff_id, "2026-03-02", 2, 10, ""], [b.staff_id, "2026-03-02", 2, 10, ""]])
    )
    # when: a new sheet repeats a's day (with other hours and points) next to a new row
    content = csv_of(
        [[c.staff_id, "2026-03-09", 1, 5, ""], [a.staff_id.lower(), "2026-03-02", 3, 15, "补录"]]
    )
    # then
    assert line_errors(content) == [
        (3, f"{a.staff_id} on 2026-03-02 was already paid by sheet #{first.pk}, line 2.")
    ]
    assert selectors.points_balance(c) == 0 and selectors.points_balance(a) == 10
    assert VolunteerSheet.objects.count() == 1


def test_each_paid_row_has_a_ledger_source_of_person_and_day():
    a = UserFactory()
    sheet = do_import(csv_of([[a.staff_id, "2026-03-02", 2, 10, ""]]))
    row = VolunteerSheetRow.objects.get(sheet=sheet)
    assert row.entry.source == f"volunteer:{a.pk}:2026-03-02" and row.date == date(2026, 3, 2)


def test_the_upload_page_and_the_api_refuse_the_resaved_sheet(client, api, ops_manager):
    # given
    for staff_id in ("A1", "B2", "C3"):
        UserFactory(staff_id=staff_id)
    client.force_login(ops_manager)
    api.force_authenticate(ops_manager)

    def upload(name, content):
        f = io.BytesIO(content)
        f.name = name
        return f

    assert (
        client.post(
            reverse("points:volunteer_import"), {"file": upload("w.csv", csv_of(ROWS))}
        ).status_code
        == 302
    )
    sheet = VolunteerSheet.objects.get()
    expected = (
        f"This sheet was already imported as sheet #{sheet.pk} on "
        f"{timezone.localdate(sheet.imported_at).isoformat()} "
        "(the same rows); nothing was paid again."
    )
    # when
    page = client.post(
        reverse("points:volunteer_import"), {"file": upload("w.csv", csv_of(ROWS, newline="\r\n"))}
    )
    answer = api.post(
        reverse("api-points-volunteer-import"),
        {"file": upload("w.xlsx", resaved("xlsx", ROWS)[1])},
        format="multipart",
    )
    # then
    assert page.status_code == 400 and page.context["form"].non_field_errors() == [expected]
    assert answer.status_code == 409 and answer.json() == {"detail": expected, "code": "conflict"}
    assert PointsEntry.objects.count() == 3


def test_the_api_reports_a_row_above_the_maximum_with_its_line(api, ops_manager):
    a = UserFactory()
    f = io.BytesIO(csv_of([[a.staff_id, "2026-03-02", 2, 3000000000, ""]]))
    f.name = "w.csv"
    api.force_authenticate(ops_manager)
    response = api.post(reverse("api-points-volunteer-import"), {"file": f}, format="multipart")
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "file.2": ["Points 3000000000 are above the maximum of 50 per row (rule “志愿服务”)."]
    }
    assert not PointsEntry.objects.exists()


# --- two imports at once -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.parametrize("round_number", range(3))
def test_two_sheets_sharing_a_row_imported_at_once_pay_that_row_once(round_number):
    # given: two different sheets that both contain a's Monday
    a, b, c = people(3)
    managers = [importer(), importer()]
    sheets = [
        csv_of([[a.staff_id, "2026-03-02", 2, 10, ""], [b.staff_id, "2026-03-02", 1, 5, ""]]),
        csv_of([[a.staff_id, "2026-03-02", 2, 10, ""], [c.staff_id, "2026-03-02", 1, 5, ""]]),
    ]
    results = run_at_once(
        [lambda i=i: do_import(sheets[i], f"w{i}.csv", managers[i]) for i in range(2)]
    )
    # then: one sheet imported, the other refused with a message (never an IntegrityError)
    imported = [r for r in results if isinstance(r, VolunteerSheet)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(imported) == 1 and len(refused) == 1
    assert isinstance(refused[0], AppError), refused[0]
    if isinstance(
        refused[0], services.VolunteerSheetRejected
    ):  # it started after the other had committed
        assert refused[0].line_errors == [
            (2, f"{a.staff_id} on 2026-03-02 was already paid by sheet #{imported[0].pk}, line 2.")
        ]
    else:
        assert refused[0].messages == [
            "Another import paid a row of this sheet a moment ago; nothing was "
            "imported. Upload the sheet again to see which lines."
        ]
    assert PointsEntry.objects.filter(source=f"volunteer:{a.pk}:2026-03-02").count() == 1
    assert selectors.points_balance(a) == 10 and VolunteerSheet.objects.count() == 1
