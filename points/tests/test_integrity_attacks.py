"""Attacks on the points rules by a manager who is also a CSR: paying oneself with a manual
correction or a row of the canteen's volunteer sheet."""

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.tests.factories import UserFactory
from points import services
from points.models import PointsEntry, QCGroup, QCGroupMember, VolunteerSheet
from points.tests.factories import QCTopicFactory

pytestmark = pytest.mark.django_db


def manager_who_is_a_csr():
    return UserFactory(level=2, roles=["CSR", "Operations manager"])


def sheet_paying(*people) -> bytes:
    rows = "".join(
        f"{person.staff_id},2026-03-0{n},2,10,\n" for n, person in enumerate(people, start=2)
    )
    return f"staff_id,date,hours,points,note\n{rows}".encode()


def test_a_manager_cannot_correct_their_own_points():
    # given: an operations manager who also works as a CSR (points count for their promotion)
    manager = manager_who_is_a_csr()
    # when / then: the service refuses, nothing is paid
    with pytest.raises(PermissionDenied):
        services.points_correct(employee=manager, amount=200, by=manager, reason="加班补偿")
    assert not PointsEntry.objects.filter(employee=manager).exists()
    # while a colleague's correction goes through
    colleague = UserFactory(roles=["CSR"])
    assert (
        services.points_correct(employee=colleague, amount=200, by=manager, reason="漏记").amount
        == 200
    )


def test_a_manager_cannot_import_a_volunteer_sheet_that_pays_themselves(client, api):
    # given: the canteen's sheet with a row (line 3) for the importing manager
    manager, colleague = manager_who_is_a_csr(), UserFactory(roles=["CSR"])
    content = sheet_paying(colleague, manager)
    message = services.MSG_SHEET_OWN_ROW % {"staff_id": manager.staff_id}
    # when / then: the service, the page and the API refuse the whole sheet with the line's error
    with pytest.raises(services.VolunteerSheetRejected) as exc:
        services.volunteer_sheet_import(
            file_name="week10.csv", content=content, imported_by=manager
        )
    assert exc.value.line_errors == [(3, message)]
    client.force_login(manager)
    page = client.post(
        reverse("points:volunteer_import"), {"file": SimpleUploadedFile("week10.csv", content)}
    )
    assert message in page.content.decode()
    api.force_authenticate(manager)
    response = api.post(
        reverse("api-points-volunteer-import"),
        {"file": SimpleUploadedFile("week10.csv", content)},
        format="multipart",
    )
    assert response.status_code == 400 and message in str(response.json())
    assert not VolunteerSheet.objects.exists() and not PointsEntry.objects.exists()
    # and another manager imports it as usual
    other = UserFactory(roles=["Training manager"])
    assert (
        services.volunteer_sheet_import(
            file_name="week10.csv", content=content, imported_by=other
        ).row_count
        == 2
    )


def test_a_manager_cannot_reverse_a_deduction_of_their_own():
    # given: a colleague deducted 100 points from the manager
    manager = manager_who_is_a_csr()
    penalty = services.points_correct(
        employee=manager, amount=-100, by=manager_who_is_a_csr(), reason="违规"
    )
    # when / then
    with pytest.raises(PermissionDenied):
        services.points_reverse(entry_id=penalty.pk, by=manager, reason="撤销")
    assert (
        sum(PointsEntry.objects.filter(employee=manager).values_list("amount", flat=True)) == -100
    )


def test_a_manager_cannot_complete_a_qc_topic_of_a_group_they_are_in(api):
    # given: a QC group with a manager among its members (formed before only CSRs could join)
    manager = manager_who_is_a_csr()
    topic = QCTopicFactory(points_per_member=25)
    a, b = UserFactory(roles=["CSR"]), UserFactory(roles=["CSR"])
    group = QCGroup.objects.create(topic=topic, name="A组", created_by=a)
    for member in (manager, a, b):
        QCGroupMember.objects.create(group=group, topic=topic, employee=member)
    # when / then: the service and the API refuse; another manager completes it
    with pytest.raises(PermissionDenied):
        services.qc_group_complete(group_id=group.pk, by=manager)
    api.force_authenticate(manager)
    assert api.post(reverse("api-points-qc-complete", args=[group.pk])).status_code == 403
    assert not PointsEntry.objects.exists()
    assert (
        len(
            services.qc_group_complete(
                group_id=group.pk, by=UserFactory(roles=["Training manager"])
            )
        )
        == 3
    )


# --- QC groups are for front-line CSRs ------------------------------------------------------


def not_eligible_message(*people) -> str:
    return (
        "Only front-line CSRs may join a QC group; these staff IDs may not: "
        + ", ".join(p.staff_id for p in people)
        + "."
    )


@pytest.mark.parametrize(
    "roles",
    [
        ["Operations manager"],
        ["CSR", "Operations manager"],
        ["Training manager"],
        ["CSR", "Training manager"],
        ["HR"],
        ["Team leader"],
        [],
    ],
)
def test_only_csrs_may_claim_a_qc_topic(roles):
    # given
    topic = QCTopicFactory()
    claimer = UserFactory(roles=roles)
    a, b = UserFactory(roles=["CSR"]), UserFactory(roles=["CSR"])
    # when / then
    with pytest.raises(services.PointsError) as exc:
        services.qc_group_claim(
            topic_id=topic.pk, creator=claimer, name="", member_staff_ids=[a.staff_id, b.staff_id]
        )
    assert exc.value.fields == {"members": [not_eligible_message(claimer)]}
    assert not QCGroup.objects.exists()


def test_a_csr_cannot_name_managers_or_other_roles_as_members():
    # given
    topic = QCTopicFactory()
    creator, colleague = UserFactory(roles=["CSR"]), UserFactory(roles=["CSR", "Reviewer"])
    manager, hr = manager_who_is_a_csr(), UserFactory(roles=["HR"])
    # when / then: the message names every staff ID that may not join, in the order given
    with pytest.raises(services.PointsError) as exc:
        services.qc_group_claim(
            topic_id=topic.pk,
            creator=creator,
            name="",
            member_staff_ids=[colleague.staff_id, manager.staff_id, hr.staff_id],
        )
    assert exc.value.fields == {"members": [not_eligible_message(manager, hr)]}
    assert not QCGroup.objects.exists()
    # and CSRs (a committee member among them) form the group
    group = services.qc_group_claim(
        topic_id=topic.pk,
        creator=creator,
        name="",
        member_staff_ids=[colleague.staff_id, UserFactory(roles=["CSR"]).staff_id],
    )
    assert group.members.count() == 3


def test_the_claim_page_and_api_refuse_a_manager_with_the_field_message(client, api):
    # given
    topic = QCTopicFactory()
    manager = manager_who_is_a_csr()
    a, b = UserFactory(roles=["CSR"]), UserFactory(roles=["CSR"])
    message = not_eligible_message(manager)
    # when / then: the API answers 400 with the message on "members"
    api.force_authenticate(manager)
    response = api.post(
        reverse("api-points-qc-claim", args=[topic.pk]),
        {"members": [a.staff_id, b.staff_id]},
        format="json",
    )
    assert response.status_code == 400 and response.json()["fields"] == {"members": [message]}
    # the page shows no claim form to the manager and refuses a forged post with the message
    client.force_login(manager)
    page = client.get(reverse("points:topic_detail", args=[topic.pk])).content.decode()
    assert 'id="claim-form"' not in page
    response = client.post(
        reverse("points:topic_claim", args=[topic.pk]),
        {"name": "", "members": f"{a.staff_id} {b.staff_id}"},
        follow=True,
    )
    assert message in response.content.decode()
    assert not QCGroup.objects.exists()
    # while a CSR sees the form
    client.force_login(a)
    assert (
        'id="claim-form"'
        in client.get(reverse("points:topic_detail", args=[topic.pk])).content.decode()
    )


# --- splitting a big sheet (attack review) ------------------------------------


def _sheet(rows) -> bytes:
    """``rows``: (person, date, points)."""
    body = "".join(f"{p.staff_id},{day.isoformat()},2,{points},\n" for p, day, points in rows)
    return f"staff_id,date,hours,points,note\n{body}".encode()


def test_a_big_sheet_split_into_sheets_below_the_threshold_still_needs_a_second_manager():
    # given: a manager and a colluding colleague; the threshold is 1,000 and a row pays at most 50
    import datetime

    manager, colleague = UserFactory(roles=["Training manager"]), UserFactory(roles=["CSR"])
    start = datetime.date(2025, 1, 1)
    days = [
        start + datetime.timedelta(days=n) for n in range(60)
    ]  # 60 back-dated days × 50 = 3,000
    # when: the 3,000 points come as three sheets of 1,000 (each exactly at the threshold)
    sheets = [
        services.volunteer_sheet_import(
            file_name=f"w{n}.csv",
            imported_by=manager,
            content=_sheet([(colleague, day, 50) for day in days[n * 20 : (n + 1) * 20]]),
        )
        for n in range(3)
    ]
    # then: only the first is paid at once; the others wait for a second manager
    assert [s.status for s in sheets] == ["paid", "pending", "pending"]
    assert (
        sum(PointsEntry.objects.filter(employee=colleague).values_list("amount", flat=True)) == 1000
    )
    # a second manager's confirmation pays, and confirmed sheets do not count against the importer
    other = UserFactory(roles=["Training manager"])
    services.volunteer_sheet_confirm(sheet_id=sheets[1].pk, by=other)
    assert (
        services.volunteer_sheet_import(
            file_name="w4.csv",
            imported_by=manager,
            content=_sheet([(UserFactory(roles=["CSR"]), start, 10)]),
        ).status
        == "pending"
    )  # still 1,000 + 10 unconfirmed


def test_the_rolling_week_of_unconfirmed_sheets_is_per_importer_and_ends_after_7_days():
    import datetime

    import time_machine

    manager, other_manager = (
        UserFactory(roles=["Training manager"]),
        UserFactory(roles=["Training manager"]),
    )
    people = [UserFactory(roles=["CSR"]) for _ in range(2)]
    with time_machine.travel(datetime.datetime(2026, 3, 10, 9, tzinfo=datetime.UTC), tick=False):
        assert (
            services.volunteer_sheet_import(
                file_name="a.csv",
                imported_by=manager,
                content=_sheet([(people[0], datetime.date(2026, 3, d), 50) for d in range(1, 10)]),
            ).status
            == "paid"
        )  # 450
        # another importer has their own allowance
        assert (
            services.volunteer_sheet_import(
                file_name="b.csv",
                imported_by=other_manager,
                content=_sheet([(people[1], datetime.date(2026, 3, d), 50) for d in range(1, 10)]),
            ).status
            == "paid"
        )
    with time_machine.travel(
        datetime.datetime(2026, 3, 17, 8, tzinfo=datetime.UTC), tick=False
    ):  # 6 days 23 h
        assert (
            services.volunteer_sheet_import(
                file_name="c.csv",
                imported_by=manager,
                content=_sheet([(people[0], datetime.date(2026, 2, d), 50) for d in range(1, 13)]),
            ).status
            == "pending"
        )  # 450 + 600
    with time_machine.travel(
        datetime.datetime(2026, 3, 17, 10, tzinfo=datetime.UTC), tick=False
    ):  # 7 days 1 h
        assert (
            services.volunteer_sheet_import(
                file_name="d.csv",
                imported_by=manager,
                content=_sheet([(people[1], datetime.date(2026, 2, d), 50) for d in range(1, 13)]),
            ).status
            == "paid"
        )
