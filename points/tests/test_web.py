import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.navigation import navigation_for
from accounts.tests.factories import UserFactory
from points import services
from points.models import PointsEntry, QCGroup, RationalisationProposal
from points.tests.factories import (
    PointsEntryFactory,
    QCTopicFactory,
    RationalisationProposalFactory,
)

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def test_my_points_shows_balance_filtered_history_and_chart(
    client, csr, django_assert_max_num_queries
):
    # given
    for n in range(60):
        PointsEntryFactory(employee=csr, amount=2, created_at=timezone.now() - timedelta(days=n))
    services.points_award(employee=csr, rule_code="committee_case_review", source="r:1")
    login(client, csr)
    # when
    with django_assert_max_num_queries(12):
        response = client.get(reverse("points:my_points"))
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="balance" class="big-number">140<' in html
    assert "<svg" in html and "<polyline" in html
    assert "Page 1 of 2" in html
    # when: filtered by rule
    rule_code = PointsEntry.objects.get(source="r:1").rule.code
    response = client.get(reverse("points:my_points"), {"rule": rule_code})
    assert response.context["page"].paginator.count == 1


def test_my_points_needs_the_study_permission_and_only_get(client, hr):
    login(client, hr)
    assert client.get(reverse("points:my_points")).status_code == 403


def test_my_points_rejects_post(client, csr):
    login(client, csr)
    assert client.post(reverse("points:my_points")).status_code == 405


def test_leaderboard_shows_the_viewers_centre_only(client, csr, django_assert_max_num_queries):
    # given
    colleague = UserFactory(centre=csr.centre, team=csr.team, name="同事甲")
    stranger = UserFactory(name="外中心乙")
    PointsEntryFactory(employee=colleague, amount=90)
    PointsEntryFactory(employee=csr, amount=30)
    PointsEntryFactory(employee=stranger, amount=999)
    login(client, csr)
    # when
    with django_assert_max_num_queries(8):
        response = client.get(reverse("points:leaderboard"), {"period": "30d"})
    # then
    assert response.status_code == 200
    assert [(r.staff_id, r.balance) for r in response.context["rows"]] == [
        (colleague.staff_id, 90),
        (csr.staff_id, 30),
    ]
    assert "外中心乙" not in response.content.decode()
    assert client.post(reverse("points:leaderboard")).status_code == 405


def test_hub_shows_manager_actions_only_with_permission(client, csr, training_manager):
    RationalisationProposalFactory(title="待评建议")
    login(client, csr)
    html = client.get(reverse("points:hub")).content.decode()
    assert "待评建议" not in html and reverse("points:topic_new") not in html
    login(client, training_manager)
    html = client.get(reverse("points:hub")).content.decode()
    assert "待评建议" in html and reverse("points:topic_new") in html


def test_submit_and_judge_a_proposal_through_the_pages(client, csr, training_manager):
    # given
    login(client, csr)
    response = client.post(
        reverse("points:proposal_submit"), {"title": "简化开场白", "description": "缩短通话"}
    )
    proposal = RationalisationProposal.objects.get()
    assert response.status_code == 302 and proposal.proposer == csr
    # when: the proposer may not judge
    assert (
        client.post(
            reverse("points:proposal_judge", args=[proposal.pk]), {"verdict": "feasible"}
        ).status_code
        == 403
    )
    # when: a manager judges outside the range, then within
    login(client, training_manager)
    response = client.post(
        reverse("points:proposal_judge", args=[proposal.pk]),
        {"verdict": "feasible", "amount": "250"},
        follow=True,
    )
    assert "must be within 60–200; 250 is outside." in response.content.decode()
    client.post(
        reverse("points:proposal_judge", args=[proposal.pk]),
        {"verdict": "feasible", "amount": "150"},
    )
    # then
    proposal.refresh_from_db()
    assert proposal.status == "feasible" and proposal.amount == 150
    assert client.get(reverse("points:proposal_detail", args=[proposal.pk])).status_code == 200
    assert client.get(reverse("points:proposal_detail", args=[999999])).status_code == 404
    assert client.get(reverse("points:proposal_judge", args=[proposal.pk])).status_code == 405


def test_other_employees_cannot_see_someone_elses_proposal(client, csr):
    proposal = RationalisationProposalFactory()
    login(client, csr)
    assert client.get(reverse("points:proposal_detail", args=[proposal.pk])).status_code == 403


def test_claim_and_complete_a_topic_through_the_pages(client, csr, training_manager):
    # given
    topic = QCTopicFactory(points_per_member=30)
    a, b = UserFactory(roles=["CSR"]), UserFactory(roles=["CSR"])
    login(client, csr)
    # when
    client.post(
        reverse("points:topic_claim", args=[topic.pk]),
        {"name": "一组", "members": f"{a.staff_id} {b.staff_id}"},
    )
    group = QCGroup.objects.get()
    assert client.post(reverse("points:group_complete", args=[group.pk])).status_code == 403
    login(client, training_manager)
    page = client.get(reverse("points:topic_detail", args=[topic.pk]))
    assert page.status_code == 200 and "Mark completed" in page.content.decode()
    client.post(reverse("points:group_complete", args=[group.pk]))
    # then
    assert PointsEntry.objects.filter(rule__code="qc_topic_completed").count() == 3
    assert client.get(reverse("points:topic_detail", args=[999999])).status_code == 404
    assert client.post(reverse("points:group_complete", args=[999999])).status_code == 404
    assert client.get(reverse("points:group_complete", args=[group.pk])).status_code == 405


def test_topic_publishing_page_is_for_topic_managers(client, csr, ops_manager):
    login(client, csr)
    assert client.get(reverse("points:topic_new")).status_code == 403
    login(client, ops_manager)
    assert client.get(reverse("points:topic_new")).status_code == 200
    response = client.post(
        reverse("points:topic_new"),
        {
            "title": "缩短话后处理",
            "description": "",
            "points_per_member": 60,
            "max_groups": 3,
            "min_group_size": 3,
            "max_group_size": 5,
        },
    )
    assert response.status_code == 302


def test_volunteer_upload_page_shows_the_errors_table_and_imports_nothing(
    client, csr, training_manager
):
    # given
    login(client, csr)
    assert client.get(reverse("points:volunteer_import")).status_code == 403
    login(client, training_manager)
    bad = io.BytesIO(b"staff_id,date,hours,points\nNOBODY,2026-03-02,1,5\n")
    bad.name = "w.csv"
    # when
    response = client.post(reverse("points:volunteer_import"), {"file": bad})
    # then
    assert response.status_code == 400
    html = response.content.decode()
    assert (
        'id="line-errors"' in html and "<td>2</td>" in html and "Unknown staff ID NOBODY." in html
    )
    assert not PointsEntry.objects.exists()
    good = io.BytesIO(f"staff_id,date,hours,points\n{csr.staff_id},2026-03-02,1,5\n".encode())
    good.name = "w.csv"
    assert client.post(reverse("points:volunteer_import"), {"file": good}).status_code == 302
    assert PointsEntry.objects.get().employee == csr
    assert client.put(reverse("points:volunteer_import")).status_code == 405


def test_navigation_entries_follow_permissions(csr, training_manager, hr):
    def labels(user):
        return {str(i["label"]) for i in navigation_for(user)}

    assert {"My points", "Leaderboard", "Proposals & QC"} <= labels(csr)
    assert "Volunteer import" not in labels(csr)
    assert "Volunteer import" in labels(training_manager)
    assert "My points" not in labels(hr) and "Leaderboard" in labels(hr)


def test_admin_ledger_is_read_only_and_corrections_go_through_the_service(client, training_manager):
    # given
    from django.contrib.auth.models import Permission

    admin_user = training_manager
    entry = PointsEntryFactory(amount=10)
    login(client, admin_user)
    # then: no add/change/delete pages
    assert client.get(reverse("admin:points_pointsentry_add")).status_code == 403
    assert client.get(reverse("admin:points_pointsentry_changelist")).status_code == 200
    assert (
        client.post(
            reverse("admin:points_pointsentry_change", args=[entry.pk]), {"amount": 99}
        ).status_code
        == 403
    )
    # when: a correction
    response = client.post(
        reverse("admin:points_pointsentry_correction"),
        {
            "employee": entry.employee.staff_id.lower(),
            "amount": "-4",
            "reason": "更正",
            "token": "t1",
        },
    )
    assert response.status_code == 302
    # when: the reverse action
    client.post(
        reverse("admin:points_pointsentry_changelist"),
        {"action": "reverse_entries", "_selected_action": [entry.pk]},
    )
    # then
    assert sorted(PointsEntry.objects.values_list("amount", flat=True)) == [-10, -4, 10]
    assert Permission.objects.filter(codename="correct_entries").exists()
