"""Calibration rounds: a decided proposal shown again to chosen members as an ordinary queue
item; their answers change nothing but the item, and the pages show who matched."""

import pytest
from django.urls import reverse

from knowledgebase.models import Entry
from points.models import PointsEntry
from promotion.models import Notification
from review import calibration, services
from review.models import CalibrationAssignment, Proposal, ReviewEvent, Vote
from review.selectors import committee_dashboard, review_queue
from review.tests.factories import RevisionProposalFactory, committee_member

pytestmark = pytest.mark.django_db


def vote(proposal, user, decision="approve", comment="ok", points=3):
    extra = {"points": points} if decision == "approve" else None
    return services.proposal_vote(
        proposal_id=proposal.pk, reviewer=user, decision=decision, comment=comment, extra=extra
    )


@pytest.fixture
def applied():
    proposal = RevisionProposalFactory()
    for _ in range(3):
        vote(proposal, committee_member())
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.APPLIED
    return proposal


@pytest.fixture
def rejected():
    proposal = RevisionProposalFactory()
    for _ in range(2):
        vote(proposal, committee_member(), "reject", "不准确")
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.REJECTED
    return proposal


def snapshot(proposal):
    """Everything a real vote could change."""
    proposal.refresh_from_db()
    return (
        proposal.status,
        proposal.decided_at,
        proposal.applied_version,
        Vote.objects.count(),
        ReviewEvent.objects.count(),
        PointsEntry.objects.count(),
        Notification.objects.count(),
        list(Entry.objects.order_by("pk").values_list("pk", "version", "body")),
    )


def test_round_on_an_applied_proposal_expects_approve(applied, training_manager):
    member = committee_member()
    created = calibration.calibration_round_create(
        proposal_id=applied.pk, members=[member], created_by=training_manager
    )
    assert created.expected == "approve"
    assert list(created.assignments.values_list("member", "answered_at")) == [(member.pk, None)]


def test_round_rules(applied, training_manager, reviewer, ops_manager):
    from review.services import ReviewError, ReviewPermissionDenied

    member, voter = committee_member(), applied.votes.first().reviewer
    with pytest.raises(ReviewPermissionDenied):
        calibration.calibration_round_create(
            proposal_id=applied.pk, members=[member], created_by=reviewer
        )
    with pytest.raises(ReviewError) as error:
        calibration.calibration_round_create(
            proposal_id=RevisionProposalFactory().pk, members=[member], created_by=training_manager
        )
    assert error.value.fields == {
        "proposal": ["Choose a proposal the committee applied or rejected."]
    }
    for refused in (
        voter,
        applied.proposer,
        training_manager,
        ops_manager,
    ):  # a voter, the proposer, not members
        with pytest.raises(ReviewError) as error:
            calibration.calibration_round_create(
                proposal_id=applied.pk, members=[member, refused], created_by=training_manager
            )
        assert list(error.value.fields) == ["members"] and refused.name in error.value.message
    calibration.calibration_round_create(
        proposal_id=applied.pk, members=[member], created_by=ops_manager
    )
    with pytest.raises(ReviewError):  # once per member and proposal
        calibration.calibration_round_create(
            proposal_id=applied.pk, members=[member], created_by=training_manager
        )


def test_calibration_item_is_in_the_queue_like_an_open_proposal(applied, training_manager):
    member = committee_member()
    open_one = RevisionProposalFactory()
    calibration.calibration_round_create(
        proposal_id=applied.pk, members=[member], created_by=training_manager
    )
    queue = review_queue(reviewer=member)
    assert [p.pk for p in queue] == [
        open_one.pk,
        applied.pk,
    ]  # given after the open one was submitted
    item = queue[1]
    assert (item.status, item.approvals, item.rejections, item.decided_at, item.is_open) == (
        "open",
        0,
        0,
        None,
        True,
    )
    assert committee_dashboard(reviewer=member).waiting_count == 2
    assert applied.pk not in [
        p.pk for p in review_queue(reviewer=committee_member())
    ]  # only the chosen members
    with pytest.raises(RuntimeError):
        item.save()


def test_web_answer_changes_nothing_but_the_item(client, applied, training_manager):
    member = committee_member()
    calibration.calibration_round_create(
        proposal_id=applied.pk, members=[member], created_by=training_manager
    )
    before = snapshot(applied)
    client.force_login(member)
    page = client.get(reverse("review:proposal_detail", args=[applied.pk])).content.decode()
    # then: the page of an open proposal without votes, the vote form, the approval fields
    assert 'id="vote-form"' in page and 'id="approval-fields"' in page and "No votes yet." in page
    assert ">Open<" in page and "Applied" not in page
    assert all(v.reviewer.name not in page for v in applied.votes.select_related("reviewer"))
    # when
    response = client.post(
        reverse("review:proposal_vote", args=[applied.pk]),
        {"decision": "approve", "comment": "", "points": "4"},
    )
    # then
    assert response.status_code == 302 and response.url == reverse("review:queue")
    assert snapshot(applied) == before
    item = CalibrationAssignment.objects.get(member=member)
    assert (item.decision, item.extra, item.matched) == ("approve", {"points": 4}, True)
    assert applied.pk not in [p.pk for p in review_queue(reviewer=member)]
    # the page still shows an open proposal, with the member's own vote only
    page = client.get(reverse("review:proposal_detail", args=[applied.pk])).content.decode()
    assert (
        ">Open<" in page
        and "1 of 3 approvals, 0 rejections" in page
        and 'id="vote-form"' not in page
    )
    # a second answer is refused like a second vote, and still changes nothing
    client.post(
        reverse("review:proposal_vote", args=[applied.pk]), {"decision": "reject", "comment": "x"}
    )
    assert (
        CalibrationAssignment.objects.get(member=member).decision == "approve"
        and snapshot(applied) == before
    )


def test_answer_is_checked_like_a_vote(client, applied, training_manager):
    member = committee_member()
    calibration.calibration_round_create(
        proposal_id=applied.pk, members=[member], created_by=training_manager
    )
    client.force_login(member)
    url = reverse("review:proposal_vote", args=[applied.pk])
    # approval without the points the kind's form needs: the form again, 400
    assert client.post(url, {"decision": "approve", "comment": ""}).status_code == 400
    # rejection without a reason
    client.post(url, {"decision": "reject", "comment": ""})
    assert CalibrationAssignment.objects.get(member=member).answered_at is None


def test_api_answer_on_a_rejected_proposal_records_a_miss_and_nothing_else(
    api, rejected, ops_manager
):
    member = committee_member()
    calibration.calibration_round_create(
        proposal_id=rejected.pk, members=[member], created_by=ops_manager
    )
    before = snapshot(rejected)
    api.force_authenticate(member)
    response = api.post(
        f"/api/review/proposals/{rejected.pk}/votes/",
        {"decision": "approve", "extra": {"points": 3}},
        format="json",
    )
    assert response.status_code == 201 and response.json()["proposal_status"] == "open"
    assert snapshot(rejected) == before
    assert CalibrationAssignment.objects.get(member=member).matched is False
    response = api.post(
        f"/api/review/proposals/{rejected.pk}/votes/",
        {"decision": "approve", "extra": {"points": 3}},
        format="json",
    )
    assert response.status_code == 409 and response.json()["code"] == "already_voted"


def test_real_votes_of_other_members_are_unaffected(applied, training_manager):
    """A member without a calibration item meets the real engine: closed proposal (409)."""
    from review.services import ReviewConflict

    member, other = committee_member(), committee_member()
    calibration.calibration_round_create(
        proposal_id=applied.pk, members=[member], created_by=training_manager
    )
    with pytest.raises(ReviewConflict):
        vote(applied, other)


def test_calibration_pages_permissions(client, applied, rejected, training_manager, ops_manager):
    member, other = committee_member(), committee_member()
    calibration.calibration_round_create(
        proposal_id=applied.pk, members=[member, other], created_by=training_manager
    )
    created = calibration.calibration_round_create(
        proposal_id=rejected.pk, members=[member], created_by=training_manager
    )
    calibration.calibration_answer(
        assignment_id=CalibrationAssignment.objects.get(member=member, proposal=applied).pk,
        member=member,
        decision="approve",
        extra={"points": 3},
    )
    calibration.calibration_answer(
        assignment_id=CalibrationAssignment.objects.get(member=other).pk,
        member=other,
        decision="reject",
        comment="不对",
    )
    # a member: their own answered items only (the pending one on the rejected proposal is not
    # listed)
    client.force_login(member)
    page = client.get(reverse("review:calibration")).content.decode()
    assert (
        f"#{applied.pk}" in page and f"#{rejected.pk}" not in page and 'id="new-round"' not in page
    )
    assert other.name not in page
    assert client.get(reverse("review:calibration_round", args=[created.pk])).status_code == 403
    assert (
        client.post(
            reverse("review:calibration"), {"proposal": applied.pk, "members": other.staff_id}
        ).status_code
        == 403
    )
    # managers: every round, who matched
    for manager in (training_manager, ops_manager):
        client.force_login(manager)
        assert 'id="new-round"' in client.get(reverse("review:calibration")).content.decode()
    round_page = client.get(
        reverse("review:calibration_round", args=[applied.calibration_rounds.get().pk])
    ).content.decode()
    assert member.name in round_page and other.name in round_page
    assert round_page.count('class="matched"') == 1 and round_page.count('class="missed"') == 1


def test_manager_starts_a_round_on_the_page(client, applied, training_manager):
    member = committee_member()
    client.force_login(training_manager)
    response = client.post(
        reverse("review:calibration"), {"proposal": applied.pk, "members": "NOPE"}
    )
    assert response.status_code == 400 and "Unknown staff ID" in response.content.decode()
    response = client.post(
        reverse("review:calibration"), {"proposal": applied.pk, "members": member.staff_id.lower()}
    )
    assert response.status_code == 302
    assert CalibrationAssignment.objects.filter(member=member, proposal=applied).exists()


def test_api_rounds_and_mine(api, applied, training_manager, django_assert_max_num_queries):
    member = committee_member()
    api.force_authenticate(member)
    assert api.get("/api/review/calibration/rounds/").status_code == 403
    api.force_authenticate(training_manager)
    response = api.post(
        "/api/review/calibration/rounds/",
        {"proposal": applied.pk, "members": [member.staff_id]},
        format="json",
    )
    assert response.status_code == 201 and response.json()["expected"] == "approve"
    assert response.json()["items"] == [
        {
            "member": member.staff_id,
            "proposal": applied.pk,
            "decision": "",
            "expected": "approve",
            "matched": None,
            "answered_at": None,
        }
    ]
    response = api.post(
        "/api/review/calibration/rounds/", {"proposal": 0, "members": []}, format="json"
    )
    assert response.status_code == 400 and {"proposal", "members"} <= set(response.json()["fields"])
    for _ in range(3):
        calibration.calibration_round_create(
            proposal_id=applied.pk, members=[committee_member()], created_by=training_manager
        )
    with django_assert_max_num_queries(8):
        assert len(api.get("/api/review/calibration/rounds/").json()) == 4
    api.force_authenticate(member)
    assert api.get("/api/review/calibration/mine/").json() == []  # pending items are never listed


def test_queue_queries_stay_constant_with_calibration_items(
    applied, training_manager, django_assert_num_queries
):
    member = committee_member()
    calibration.calibration_round_create(
        proposal_id=applied.pk, members=[member], created_by=training_manager
    )
    review_queue(reviewer=member)
    with django_assert_num_queries(
        2
    ):  # the open proposals, the calibration items (nothing categorised)
        review_queue(reviewer=member)
    for _ in range(3):
        other = RevisionProposalFactory()
        for _ in range(3):
            vote(other, committee_member())
        calibration.calibration_round_create(
            proposal_id=other.pk, members=[member], created_by=training_manager
        )
    with django_assert_num_queries(2):
        assert len(review_queue(reviewer=member)) == 4


def test_where_experts_decide_only_an_expert_takes_the_item(client, training_manager):
    """A member never finds in their queue a proposal they could not vote on: on a category
    that review experts decide, only an expert who did not vote takes the item, and their
    page names the experts like a real proposal's."""
    from knowledgebase.tests.factories import CategoryFactory, EntryFactory
    from review.services import ReviewError
    from review.tests.test_experts import approve, make_experts, revision

    category = CategoryFactory()
    experts = make_experts(category, 4, by=training_manager)
    proposal = revision(EntryFactory(category=category))
    for expert in experts[:3]:
        approve(proposal, expert)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.APPLIED
    outsider = committee_member()
    with pytest.raises(ReviewError):
        calibration.calibration_round_create(
            proposal_id=proposal.pk, members=[outsider], created_by=training_manager
        )
    calibration.calibration_round_create(
        proposal_id=proposal.pk, members=[experts[3]], created_by=training_manager
    )
    queue = review_queue(reviewer=experts[3])
    assert [p.pk for p in queue] == [proposal.pk] and queue[0].yours
    client.force_login(experts[3])
    page = client.get(reverse("review:proposal_detail", args=[proposal.pk])).content.decode()
    assert 'id="expert-panel"' in page and 'id="vote-form"' in page


def test_an_htmx_answer_shows_the_calibration_copy_not_the_real_votes(
    client, applied, training_manager
):
    member = committee_member()
    calibration.calibration_round_create(
        proposal_id=applied.pk, members=[member], created_by=training_manager
    )
    before = snapshot(applied)
    client.force_login(member)
    # when the member answers through htmx (the vote box updated in place)
    response = client.post(
        reverse("review:proposal_vote", args=[applied.pk]),
        {"decision": "approve", "comment": "", "points": "4"},
        HTTP_HX_REQUEST="true",
    )
    # then the fragment shows an open proposal with the member's own vote only
    fragment = response.content.decode()
    assert response.status_code == 200
    assert ">Open<" in fragment and "Applied" not in fragment
    assert all(v.reviewer.name not in fragment for v in applied.votes.select_related("reviewer"))
    assert "1 of 3 approvals, 0 rejections" in fragment
    assert snapshot(applied) == before
    assert CalibrationAssignment.objects.get(member=member).decision == "approve"


def test_the_calibration_page_charts_the_share_that_matched(
    client, applied, rejected, training_manager
):
    members = [committee_member() for _ in range(4)]
    first = calibration.calibration_round_create(
        proposal_id=applied.pk, members=members[:3], created_by=training_manager
    )
    second = calibration.calibration_round_create(
        proposal_id=rejected.pk, members=members[3:], created_by=training_manager
    )
    # applied: two of three answered, one matched (approve); rejected: nobody answered yet
    CalibrationAssignment.objects.filter(round=first, member=members[0]).update(
        decision="approve", answered_at="2026-03-01T10:00Z"
    )
    CalibrationAssignment.objects.filter(round=first, member=members[1]).update(
        decision="reject", answered_at="2026-03-01T10:00Z"
    )
    client.force_login(training_manager)
    page = client.get(reverse("review:calibration"), HTTP_ACCEPT_LANGUAGE="en")
    chart = page.context["chart"]
    bars = [s for s in chart.shapes if s["kind"] == "rect"]
    # one bar (the round without answers has none): 1 of 2 answers matched, half the 400-px axis
    assert [(b["title"], b["width"]) for b in bars] == [(f"#{first.pk} · Approve: 50.00%", 200)]
    assert second.pk != first.pk and 'id="matched-chart"' in page.content.decode()
