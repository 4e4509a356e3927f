import io

import pytest

from review.models import CommitteeApplication, Proposal, Vote

pytestmark = pytest.mark.django_db


def test_demo_queue_has_votes_with_amounts_an_open_quality_case_and_an_open_committee_application():
    # given
    import accounts.demo
    import casebase.demo
    import knowledgebase.demo
    import review.demo

    # when: loaded twice (idempotent)
    for _ in range(2):
        for module in (
            accounts.demo,
            casebase.demo,
            knowledgebase.demo,
            review.demo,
        ):
            module.load(stdout=io.StringIO())
    # then: every approval of a kind with a reviewer-chosen reward carries the amount
    approvals = Vote.objects.filter(decision="approve").exclude(
        proposal__kind="committee_application"
    )
    assert approvals.exists() and not approvals.filter(extra__points__isnull=True).exists()
    quality = Proposal.objects.get(kind="quality_case")
    assert quality.status == "open" and len(quality.payload["contributors"]) == 2
    assert (
        quality.recusals.count() == 1
    )  # the other contributor; the applicant never votes as the proposer
    application = CommitteeApplication.objects.get()
    assert application.status == "pending" and application.proposal.status == "open"
    assert application.applicant.level >= 4


def test_demo_has_experts_per_category_and_notifications_for_the_new_csr():
    # given
    import accounts.demo
    import casebase.demo
    import knowledgebase.demo
    import review.demo
    from promotion.models import Notification
    from review.models import ReviewExpertise
    from review.selectors import expert_panel

    for module in (accounts.demo, casebase.demo, knowledgebase.demo, review.demo):
        module.load(stdout=io.StringIO())
    # then: experts in both trees, assigned by the training manager
    assert ReviewExpertise.objects.filter(kb_category__code="number").count() == 3
    assert ReviewExpertise.objects.filter(case_category__code="complaint").count() == 3
    assert set(ReviewExpertise.objects.values_list("assigned_by__staff_id", flat=True)) == {
        "HB9001"
    }
    # the open 携号转网 revision (a subcategory of 号码业务) and the quality case are decided by
    # experts
    gated = [p.kind for p in Proposal.objects.open() if expert_panel(p) is not None]
    assert sorted(gated) == ["kb_revision", "quality_case"]
    # HB0001 sees an accepted revision with its points, an outdated one and a rejected one
    kinds = set(
        Notification.objects.filter(recipient__staff_id="HB0001").values_list("kind", flat=True)
    )
    assert kinds == {"proposal_applied", "points_received", "proposal_stale", "proposal_rejected"}


def test_demo_shows_reviewer_insights_a_reciprocal_pair_and_a_calibration_round():
    # given
    import accounts.demo
    import casebase.demo
    import knowledgebase.demo
    import review.demo
    from review import insights
    from review.models import CalibrationAssignment
    from review.selectors import review_queue

    for _ in range(2):  # idempotent
        for module in (
            accounts.demo,
            casebase.demo,
            knowledgebase.demo,
            review.demo,
        ):
            module.load(stdout=io.StringIO())
    # then: the default settings flag HB0005 ⇄ HB0006, whose agreement is visibly low
    flags = insights.reciprocal_flags()
    assert [
        (f.first.staff_id, f.second.staff_id, f.first_approved, f.second_approved) for f in flags
    ] == [("HB0005", "HB0006", 3, 3)]
    figures = {f.member.staff_id: f for f in insights.member_figures()}
    assert figures["HB0006"].agreement < figures["HB9201"].agreement
    assert all(figures[s].votes for s in ("HB9201", "HB9202", "HB9203", "HB0005", "HB0006"))
    # the votes came hours after the proposals: a distinct median time to vote per member,
    # the quick HB9201 (about 2 h) ahead of the slow HB0005 (about a day)
    medians = {s: figures[s].median_hours for s in ("HB9201", "HB9202", "HB9203", "HB0005")}
    medians["HB0006"] = figures["HB0006"].median_hours
    assert len(set(medians.values())) == 5 and all(1 <= m <= 72 for m in medians.values())
    assert medians["HB9201"] < 3 < 20 < medians["HB0005"]
    # the pair's first revisions were applied: the friend's review points and the proposer's
    # reward were paid for flagged votes, so an operations manager has something to reverse
    pair = insights.pair_votes(first_id=flags[0].first.pk, second_id=flags[0].second.pk)
    paid = {(e.employee.staff_id, e.source.split(":")[0]) for e in insights.flag_entries(pair)}
    assert paid == {
        ("HB0005", "review"),
        ("HB0005", "proposal"),
        ("HB0006", "review"),
        ("HB0006", "proposal"),
    }
    # one calibration round: HB9202 matched, HB9203's item waits in their queue
    items = {
        a.member.staff_id: a
        for a in CalibrationAssignment.objects.select_related("member", "round")
    }
    assert set(items) == {"HB9202", "HB9203"} and items["HB9202"].matched is True
    assert items["HB9203"].proposal_id in [
        p.pk for p in review_queue(reviewer=items["HB9203"].member)
    ]


def test_demo_shows_a_serial_voting_flag_with_its_votes_in_the_default_period(client):
    # given: the demo loaded twice (idempotent)
    from django.urls import reverse

    import accounts.demo
    import casebase.demo
    import knowledgebase.demo
    import review.demo
    from accounts.models import User
    from review import insights

    for _ in range(2):
        for module in (accounts.demo, casebase.demo, knowledgebase.demo, review.demo):
            module.load(stdout=io.StringIO())
    # then: HB9203 voted on five of HB0003's proposals today (s = 5 by default), and nobody
    # else is flagged: the rejecting members took turns
    today = insights.default_period().end
    flags = insights.serial_flags()
    assert [(f.member.staff_id, f.proposer.staff_id, f.day, f.votes) for f in flags] == [
        ("HB9203", "HB0003", today, 5)
    ]
    # the same flag in the default period of the pages, with its five votes listed
    client.force_login(User.objects.get(staff_id="HB9201"))  # an operations manager
    page = client.get(reverse("review:insights"), HTTP_ACCEPT_LANGUAGE="en")
    assert [(f.member.staff_id, f.votes) for f in page.context["serial"]] == [("HB9203", 5)]
    flag = flags[0]
    url = reverse("review:insights_serial", args=[flag.member.pk, flag.proposer.pk, today])
    serial = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert serial.status_code == 200 and serial.context["flagged"]
    # the pair after HB9203 approved the first and fourth revision: applied, HB9203 was paid
    # review points for those two votes and HB0003 a reward (the rest rejected, nothing paid)
    assert [
        (v.reviewer.staff_id, v.decision, v.proposal.status) for v in serial.context["votes"]
    ] == [
        ("HB9203", "approve", s) for s in ("applied", "rejected", "rejected", "applied", "rejected")
    ]
    paid = sorted((e.employee.staff_id, e.source.split(":")[0]) for e in serial.context["entries"])
    assert paid == [("HB0003", "proposal")] * 2 + [("HB9203", "review")] * 2
    assert "Flagged under the current settings." in serial.content.decode()
