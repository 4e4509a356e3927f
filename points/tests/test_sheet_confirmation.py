"""A volunteer sheet whose total is above the admin-set threshold pays nothing until a second
manager — not the importer, not anyone the sheet pays — confirms it (or rejects it)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from accounts.tests.factories import UserFactory
from config.errors import AppError
from points import selectors, services
from points.models import (
    PointsEntry,
    PointsEvent,
    PointsSettings,
    VolunteerSheet,
    VolunteerSheetRow,
)
from tests.concurrency import run_at_once

pytestmark = pytest.mark.django_db


def manager(*roles):
    return UserFactory(roles=["Training manager", *roles])


def sheet_of(rows) -> bytes:
    """``rows``: (person, day of March 2026, points)."""
    body = "".join(f"{p.staff_id},2026-03-{day:02d},2,{points},\n" for p, day, points in rows)
    return f"staff_id,date,hours,points,note\n{body}".encode()


def big_sheet(people, *, points=50) -> bytes:
    """7 days × len(people) rows of 50 points: 3 people → 1,050 points, above the default 1,000."""
    return sheet_of([(p, day, points) for p in people for day in range(2, 9)])


def do_import(content, by, name="week10.csv"):
    return services.volunteer_sheet_import(file_name=name, content=content, imported_by=by)


def csrs(n):
    return [UserFactory(roles=["CSR"]) for _ in range(n)]


@pytest.mark.parametrize(
    ("threshold", "status"), [(1049, "pending"), (1050, "paid"), (1051, "paid")]
)
def test_a_sheet_above_the_threshold_is_pending_and_pays_nothing(threshold, status):
    # given: a 1,050-point sheet
    PointsSettings.objects.update_or_create(
        pk=1, defaults={"sheet_confirmation_threshold": threshold}
    )
    people = csrs(3)
    # when
    sheet = do_import(big_sheet(people), manager())
    # then
    assert (sheet.status, sheet.total_points) == (status, 1050)
    assert PointsEntry.objects.count() == (0 if status == "pending" else 21)
    assert sheet.rows.count() == 21
    event = PointsEvent.objects.get(kind="sheet_imported")
    assert (event.data["status"], event.data["threshold"]) == (status, threshold)


def test_the_default_threshold_is_1000_with_a_maximum():
    settings_row = PointsSettings.current()
    assert settings_row.sheet_confirmation_threshold == 1000
    settings_row.sheet_confirmation_threshold = 100_001
    with pytest.raises(ValidationError) as exc:
        settings_row.full_clean()
    assert list(exc.value.message_dict) == ["sheet_confirmation_threshold"]


def test_a_second_manager_confirms_and_every_row_is_paid_once():
    # given
    people, importer, second = csrs(3), manager(), manager()
    sheet = do_import(big_sheet(people), importer)
    # when
    confirmed = services.volunteer_sheet_confirm(sheet_id=sheet.pk, by=second)
    # then
    assert (confirmed.status, confirmed.decided_by) == ("paid", second)
    assert [selectors.points_balance(p) for p in people] == [350, 350, 350]
    assert not VolunteerSheetRow.objects.filter(sheet=sheet, entry__isnull=True).exists()
    assert set(PointsEntry.objects.values_list("granted_by", flat=True)) == {second.pk}
    event = PointsEvent.objects.get(kind="sheet_confirmed")
    assert (event.actor, event.data["imported_by"], len(event.data["entries"])) == (
        second,
        importer.pk,
        21,
    )
    # and a second confirmation (a double click, another manager) pays nothing more
    with pytest.raises(
        services.PointsConflict, match="^This sheet was already confirmed or rejected.$"
    ):
        services.volunteer_sheet_confirm(sheet_id=sheet.pk, by=manager())
    assert PointsEntry.objects.count() == 21


def test_the_importer_cannot_confirm_their_own_sheet():
    importer = manager()
    sheet = do_import(big_sheet(csrs(3)), importer)
    with pytest.raises(PermissionDenied) as exc:
        services.volunteer_sheet_confirm(sheet_id=sheet.pk, by=importer)
    assert str(exc.value) == "You imported this sheet: another manager confirms it."
    assert not PointsEntry.objects.exists()


def test_a_manager_the_sheet_pays_cannot_confirm_it():
    # given: a manager who also works as a CSR is on the sheet
    paid_manager = manager("CSR")
    people = [*csrs(2), paid_manager]
    sheet = do_import(big_sheet(people), manager())
    # when / then
    with pytest.raises(PermissionDenied) as exc:
        services.volunteer_sheet_confirm(sheet_id=sheet.pk, by=paid_manager)
    assert str(exc.value) == "This sheet pays you (line 16): another manager confirms it."
    assert not PointsEntry.objects.exists()


def test_an_employee_without_the_import_permission_cannot_confirm():
    sheet = do_import(big_sheet(csrs(3)), manager())
    with pytest.raises(PermissionDenied):
        services.volunteer_sheet_confirm(sheet_id=sheet.pk, by=UserFactory(roles=["CSR"]))


def test_a_rejected_sheet_pays_nothing_and_its_days_may_come_on_a_corrected_sheet():
    # given
    people, importer = csrs(3), manager()
    sheet = do_import(big_sheet(people), importer)
    # when: no reason, then a reason
    with pytest.raises(services.PointsError, match="^Give a reason.$"):
        services.volunteer_sheet_reject(sheet_id=sheet.pk, by=manager(), reason=" ")
    rejected = services.volunteer_sheet_reject(
        sheet_id=sheet.pk, by=importer, reason="食堂重复登记"
    )
    # then
    assert (rejected.status, rejected.decision_note) == ("rejected", "食堂重复登记")
    assert PointsEvent.objects.get(kind="sheet_rejected").data["reason"] == "食堂重复登记"
    with pytest.raises(services.PointsConflict):
        services.volunteer_sheet_confirm(sheet_id=sheet.pk, by=manager())
    assert not PointsEntry.objects.exists()
    # and a corrected sheet with the same people's days imports
    corrected = do_import(big_sheet(people, points=40), manager())
    assert corrected.total_points == 840 and corrected.status == "paid"


def test_a_day_on_a_pending_sheet_is_a_line_error_on_another_sheet():
    people = csrs(3)
    sheet = do_import(big_sheet(people), manager())
    with pytest.raises(services.VolunteerSheetRejected) as exc:
        do_import(sheet_of([(people[0], 2, 10)]), manager())
    assert exc.value.line_errors == [
        (
            2,
            f"{people[0].staff_id} on 2026-03-02 is already on sheet #{sheet.pk}, "
            "line 2, which awaits a second manager's confirmation.",
        )
    ]


def test_the_volunteer_page_lists_pending_sheets_with_confirm_and_reject(client):
    # given
    people, importer, second = csrs(3), manager(), manager()
    sheet = do_import(big_sheet(people), importer)
    # when: the importer sees it pending and cannot confirm it
    client.force_login(importer)
    page = client.get(reverse("points:volunteer_import")).content.decode()
    assert 'id="pending-sheets"' in page and f"#{sheet.pk} week10.csv" in page
    assert reverse("points:volunteer_confirm", args=[sheet.pk]) not in page
    assert "You imported this sheet: another manager confirms it." in page
    assert client.post(reverse("points:volunteer_confirm", args=[sheet.pk])).status_code == 403
    assert not PointsEntry.objects.exists()
    # then the second manager confirms it through the page
    client.force_login(second)
    assert (
        reverse("points:volunteer_confirm", args=[sheet.pk])
        in client.get(reverse("points:volunteer_import")).content.decode()
    )
    done = client.post(reverse("points:volunteer_confirm", args=[sheet.pk]), follow=True)
    assert f"Sheet #{sheet.pk} confirmed: 1050 points paid." in done.content.decode()
    assert PointsEntry.objects.count() == 21
    again = client.post(reverse("points:volunteer_confirm", args=[sheet.pk]), follow=True)
    assert "This sheet was already confirmed or rejected." in again.content.decode()
    assert PointsEntry.objects.count() == 21


def test_the_upload_page_says_a_big_sheet_waits_for_a_second_manager(client):
    client.force_login(manager())
    response = client.post(
        reverse("points:volunteer_import"),
        {"file": SimpleUploadedFile("week10.csv", big_sheet(csrs(3)))},
        follow=True,
    )
    assert (
        "Imported 21 rows, 1050 points: with your sheets of the last 7 days that paid without a "
        "second manager, above 1000 points in total, the sheet pays nothing until another manager "
        "confirms it."
    ) in response.content.decode()


def test_the_reject_page_needs_a_reason(client):
    sheet = do_import(big_sheet(csrs(3)), manager())
    client.force_login(manager())
    url = reverse("points:volunteer_reject", args=[sheet.pk])
    assert "Give a reason." in client.post(url, {"reason": ""}, follow=True).content.decode()
    client.post(url, {"reason": "重复"})
    sheet.refresh_from_db()
    assert sheet.status == "rejected"


def test_the_pages_refuse_the_wrong_role_unknown_sheets_and_get(client):
    sheet = do_import(big_sheet(csrs(3)), manager())
    client.force_login(UserFactory(roles=["CSR"]))
    assert client.post(reverse("points:volunteer_confirm", args=[sheet.pk])).status_code == 403
    assert (
        client.post(
            reverse("points:volunteer_reject", args=[sheet.pk]), {"reason": "x"}
        ).status_code
        == 403
    )
    client.force_login(manager())
    assert client.post(reverse("points:volunteer_confirm", args=[999999])).status_code == 404
    assert client.get(reverse("points:volunteer_confirm", args=[sheet.pk])).status_code == 405
    assert client.get(reverse("points:volunteer_reject", args=[sheet.pk])).status_code == 405


def test_the_api_lists_confirms_and_rejects_pending_sheets(api):
    # given
    people, importer = csrs(3), manager()
    upload = api.force_authenticate(importer) or api.post(
        reverse("api-points-volunteer-import"),
        {"file": SimpleUploadedFile("week10.csv", big_sheet(people))},
        format="multipart",
    )
    assert upload.status_code == 201 and upload.json()["status"] == "pending"
    sheet_id = upload.json()["id"]
    pending = api.get(reverse("api-points-volunteer-pending")).json()["results"]
    assert [s["id"] for s in pending] == [sheet_id] and len(pending[0]["rows"]) == 21
    confirm_url = reverse("api-points-volunteer-confirm", args=[sheet_id])
    # when / then: the importer 403, a CSR 403, unknown 404, GET 405
    own = api.post(confirm_url)
    assert (
        own.status_code == 403
        and own.json()["detail"] == "You imported this sheet: another manager confirms it."
    )
    api.force_authenticate(people[0])
    assert api.post(confirm_url).status_code == 403
    assert api.get(reverse("api-points-volunteer-pending")).status_code == 403
    api.force_authenticate(manager())
    assert api.post(reverse("api-points-volunteer-confirm", args=[999999])).status_code == 404
    assert api.get(confirm_url).status_code == 405
    done = api.post(confirm_url)
    assert done.status_code == 200 and done.json()["status"] == "paid"
    assert api.post(confirm_url).status_code == 409
    assert (
        api.post(
            reverse("api-points-volunteer-reject", args=[sheet_id]), {"reason": "x"}
        ).status_code
        == 409
    )
    assert PointsEntry.objects.count() == 21


def test_the_api_rejects_with_a_reason(api):
    sheet = do_import(big_sheet(csrs(3)), manager())
    api.force_authenticate(manager())
    url = reverse("api-points-volunteer-reject", args=[sheet.pk])
    assert api.post(url, {}).status_code == 400
    done = api.post(url, {"reason": "重复"})
    assert (
        done.status_code == 200
        and done.json()["status"] == "rejected"
        and done.json()["decision_note"] == "重复"
    )
    assert not PointsEntry.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_managers_confirming_at_once_pay_the_sheet_once():
    # given
    people = csrs(3)
    sheet = do_import(big_sheet(people), manager())
    confirmers = [manager(), manager()]
    results = run_at_once(
        [
            lambda by=by: services.volunteer_sheet_confirm(sheet_id=sheet.pk, by=by)
            for by in confirmers
        ]
    )
    # then: one confirmed, the other refused with the message
    confirmed = [r for r in results if isinstance(r, VolunteerSheet)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(confirmed) == 1 and len(refused) == 1
    assert isinstance(refused[0], AppError) and refused[0].messages == [
        "This sheet was already confirmed or rejected."
    ]
    assert PointsEntry.objects.count() == 21
    assert PointsEvent.objects.filter(kind="sheet_confirmed").count() == 1
