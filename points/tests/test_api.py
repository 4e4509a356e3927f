import io

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from points import services
from points.models import PointsEntry, QCGroup, RationalisationProposal
from points.tests.factories import (
    PointsEntryFactory,
    QCTopicFactory,
    RationalisationProposalFactory,
)

pytestmark = pytest.mark.django_db


def test_my_balance_and_history_with_filters(api, csr, hr):
    # given
    PointsEntryFactory(employee=csr, amount=7)
    services.points_award(employee=csr, rule_code="committee_kb_review", source="r:1")
    api.force_authenticate(csr)
    # when / then
    assert api.get(reverse("api-points-me")).json()["balance"] == 12
    history = api.get(reverse("api-points-history"), {"rule": "committee_kb_review"}).json()
    assert history["count"] == 1 and history["results"][0]["amount"] == 5
    assert api.get(reverse("api-points-history"), {"date_from": "2000-01-01"}).json()["count"] == 2
    assert api.get(reverse("api-points-history"), {"rule": "nope"}).status_code == 400
    assert api.get(reverse("api-points-history"), {"date_from": "not-a-date"}).status_code == 400
    assert api.post(reverse("api-points-me")).status_code == 405
    assert api.post(reverse("api-points-history")).status_code == 405
    api.force_authenticate(hr)
    assert api.get(reverse("api-points-me")).status_code == 403
    assert api.get(reverse("api-points-history")).status_code == 403


def test_history_page_size_and_query_count(api, csr, django_assert_max_num_queries):
    for _ in range(60):
        PointsEntryFactory(employee=csr, amount=1)
    api.force_authenticate(csr)
    with django_assert_max_num_queries(6):
        body = api.get(reverse("api-points-history")).json()
    assert body["count"] == 60 and len(body["results"]) == 50


def test_leaderboard_api(api, csr, django_assert_max_num_queries):
    PointsEntryFactory(employee=csr, amount=30)
    api.force_authenticate(csr)
    with django_assert_max_num_queries(4):
        response = api.get(reverse("api-points-leaderboard"), {"period": "7d"})
    assert response.status_code == 200
    assert response.json()["results"] == [
        {"staff_id": csr.staff_id, "name": csr.name, "level": 0, "balance": 30}
    ]
    assert api.get(reverse("api-points-leaderboard"), {"period": "forever"}).status_code == 400
    assert api.post(reverse("api-points-leaderboard")).status_code == 405
    api.force_authenticate(None)
    assert api.get(reverse("api-points-leaderboard")).status_code in (401, 403)


def test_rationalisation_create_and_judge(api, csr, training_manager):
    # given
    api.force_authenticate(csr)
    created = api.post(
        reverse("api-points-rationalisation"),
        {"title": "建议", "description": "说明"},
        format="json",
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    assert api.get(reverse("api-points-rationalisation")).json()["results"][0]["id"] == pk
    assert (
        api.post(reverse("api-points-rationalisation"), {"title": ""}, format="json").status_code
        == 400
    )
    # then: a CSR may not judge
    url = reverse("api-points-rationalisation-judge", args=[pk])
    assert api.post(url, {"verdict": "feasible"}, format="json").status_code == 403
    # when
    api.force_authenticate(training_manager)
    bad = api.post(url, {"verdict": "reasonable", "amount": 10}, format="json")
    assert bad.status_code == 400
    assert (
        bad.json()["detail"]
        == "The amount for “合理化建议（合理）” must be within 30–100; 10 is outside."
    )
    ok = api.post(url, {"verdict": "reasonable", "amount": 80}, format="json")
    # then
    assert ok.status_code == 200 and ok.json()["amount"] == 80
    assert PointsEntry.objects.get(source=f"rationalisation:{pk}").amount == 80
    again = api.post(url, {"verdict": "reasonable", "amount": 80}, format="json")
    assert again.status_code == 409 and again.json() == {
        "detail": "This proposal has already been judged.",
        "code": "already_judged",
    }
    assert (
        api.post(
            reverse("api-points-rationalisation-judge", args=[999999]),
            {"verdict": "feasible"},
            format="json",
        ).status_code
        == 404
    )
    assert api.get(url).status_code == 405


def test_qc_topic_list_claim_and_complete(api, csr, training_manager):
    # given
    topic = QCTopicFactory(points_per_member=25)
    a, b = UserFactory(roles=["CSR"]), UserFactory(roles=["CSR"])
    api.force_authenticate(csr)
    # when
    listed = api.get(reverse("api-points-qc-topics")).json()
    assert listed["results"][0]["id"] == topic.pk and listed["results"][0]["group_count"] == 0
    claim_url = reverse("api-points-qc-claim", args=[topic.pk])
    small = api.post(claim_url, {"members": [a.staff_id]}, format="json")
    assert (
        small.status_code == 400
        and small.json()["detail"] == "A group needs 3 to 5 members; you named 2."
    )
    assert small.json()["fields"] == {"members": ["A group needs 3 to 5 members; you named 2."]}
    claimed = api.post(
        claim_url, {"name": "A组", "members": [a.staff_id, b.staff_id]}, format="json"
    )
    assert claimed.status_code == 201 and sorted(claimed.json()["members"]) == sorted(
        [csr.staff_id, a.staff_id, b.staff_id]
    )
    group = QCGroup.objects.get()
    complete_url = reverse("api-points-qc-complete", args=[group.pk])
    assert api.post(complete_url).status_code == 403
    api.force_authenticate(training_manager)
    done = api.post(complete_url)
    # then
    assert done.status_code == 200 and done.json()["status"] == "completed"
    assert PointsEntry.objects.filter(source__startswith=f"qc:{group.pk}:").count() == 3
    assert api.post(complete_url).status_code == 409
    assert (
        api.post(
            reverse("api-points-qc-claim", args=[999999]), {"members": ["X"]}, format="json"
        ).status_code
        == 404
    )
    assert api.post(reverse("api-points-qc-complete", args=[999999])).status_code == 404
    assert api.get(claim_url).status_code == 405
    assert api.post(reverse("api-points-qc-topics")).status_code == 405


def test_volunteer_import_api(api, csr, ops_manager):
    def upload(text, name="w.csv"):
        f = io.BytesIO(text.encode())
        f.name = name
        return api.post(reverse("api-points-volunteer-import"), {"file": f}, format="multipart")

    api.force_authenticate(csr)
    assert upload("staff_id,date,hours,points\n").status_code == 403
    api.force_authenticate(ops_manager)
    bad = upload(
        f"staff_id,date,hours,points\n{csr.staff_id},2026-03-02,1,5\n{csr.staff_id},2026-03-02,abc,5\n"
    )
    assert bad.status_code == 400
    assert bad.json() == {
        "detail": "The sheet has errors; nothing was imported.",
        "code": "invalid",
        "fields": {"file.3": ["Hours “abc” is not a number.", "Duplicate of line 2."]},
    }
    assert not PointsEntry.objects.exists()
    good = upload(f"staff_id,date,hours,points\n{csr.staff_id},2026-03-02,1,5\n")
    assert good.status_code == 201 and good.json()["points"] == 5
    twice = upload(f"staff_id,date,hours,points\n{csr.staff_id},2026-03-02,1,5\n", name="again.csv")
    assert twice.status_code == 409 and "already imported" in twice.json()["detail"]
    assert PointsEntry.objects.count() == 1
    assert api.get(reverse("api-points-volunteer-import")).status_code == 405


def test_rationalisation_proposal_of_unknown_id_is_404_for_judges(api, training_manager):
    RationalisationProposalFactory()
    api.force_authenticate(training_manager)
    assert RationalisationProposal.objects.count() == 1
    assert (
        api.post(
            reverse("api-points-rationalisation-judge", args=[0]),
            {"verdict": "feasible"},
            format="json",
        ).status_code
        == 404
    )
