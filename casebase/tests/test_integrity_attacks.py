"""Attacks on the case libraries' rules: voting on one's own co-authored case, reading an
active test case (the keys of an exam) through the history library."""

import random

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from casebase import questions
from casebase.models import Case, CaseNode, RetirementCandidate
from casebase.services.content import case_create
from casebase.services.errors import CaseConflict
from casebase.services.proposals import case_new_propose, case_revision_propose
from casebase.services.quality import MSG_QUALITY_JUDGED, quality_case_apply
from casebase.tests.factories import CaseFactory, category, sample_tree
from points.models import PointsEntry
from review.models import Proposal
from review.selectors import review_queue
from review.services import MSG_RECUSED, ReviewPermissionDenied, proposal_vote, proposal_withdraw
from review.tests.factories import committee_member

pytestmark = pytest.mark.django_db


def new_case_naming(participant, proposer=None):
    proposer = proposer or UserFactory(roles=["CSR"])
    return case_new_propose(
        proposer=proposer,
        kind="text",
        title="停机投诉",
        category_id=category().pk,
        reason="典型",
        tree=sample_tree(),
        participants=[participant.staff_id],
    )


# --- a named participant is a co-author: no vote on it -------------------------------------


def test_a_committee_member_named_as_participant_cannot_vote_on_the_new_case(api):
    # given: a member named as a participant of a colleague's new case
    member = committee_member()
    proposal = new_case_naming(member)
    extra = {"points": 50, "level": 1, "split": "test"}
    # when / then: the service, the API and the queue all refuse it
    with pytest.raises(ReviewPermissionDenied) as exc:
        proposal_vote(proposal_id=proposal.pk, reviewer=member, decision="approve", extra=extra)
    assert str(exc.value) == MSG_RECUSED
    api.force_authenticate(member)
    response = api.post(
        reverse("api-review-votes", args=[proposal.pk]),
        {"decision": "approve", "extra": extra},
        format="json",
    )
    assert response.status_code == 403 and response.json()["detail"] == MSG_RECUSED
    assert proposal not in review_queue(reviewer=member)
    assert not PointsEntry.objects.filter(employee=member).exists() and proposal.votes.count() == 0


def test_a_committee_member_named_on_a_revision_cannot_vote_on_it(client):
    member = committee_member()
    case = CaseFactory(level=1)
    proposal = case_revision_propose(
        proposer=UserFactory(roles=["CSR"]),
        case_id=case.pk,
        base_version=case.version,
        reason="更清楚",
        title="停机投诉（修订）",
        category_id=case.category_id,
        background=case.background,
        tree=sample_tree(),
        participants=[member.staff_id],
    )
    client.force_login(member)
    response = client.post(
        reverse("review:proposal_vote", args=[proposal.pk]), {"decision": "approve", "points": 20}
    )
    assert response.status_code == 403
    assert proposal.votes.count() == 0


def test_other_members_still_decide_a_case_naming_a_member():
    named = committee_member()
    proposal = new_case_naming(named)
    for _ in range(3):
        proposal_vote(
            proposal_id=proposal.pk,
            reviewer=committee_member(),
            decision="approve",
            extra={"points": 30, "level": 1, "split": "training"},
        )
    assert Proposal.objects.get(pk=proposal.pk).status == "applied"


# --- the history library never shows an active test case to its examinees ------------------------


def pending_retirement(case: Case) -> None:
    RetirementCandidate.objects.create(
        case=case, classicness_snapshot=0, constant_days_snapshot=400
    )


@pytest.mark.parametrize("case_level, visible", [(3, True), (4, False), (5, False)])
def test_a_reviewer_sees_a_test_case_proposed_for_retirement_only_below_their_level(
    client, case_level, visible
):
    # given: a level-4 review expert and an active test case the pruning job proposed to retire
    member = committee_member(level=4)
    case = CaseFactory(level=case_level, split="test")
    pending_retirement(case)
    # when
    client.force_login(member)
    response = client.get(reverse("casebase:history_detail", args=[case.pk]))
    # then: levels 4 (their re-test) and 5 (their promotion exam) stay hidden, like exam attempts
    assert response.status_code == (200 if visible else 404)
    if not visible:
        assert "非常理解您着急" not in response.content.decode()


def test_managers_who_sit_no_exam_see_a_test_case_proposed_for_retirement(client, ops_manager):
    case = CaseFactory(level=5, split="test")
    pending_retirement(case)
    client.force_login(ops_manager)
    response = client.get(reverse("casebase:history_detail", args=[case.pk]))
    assert response.status_code == 200 and "非常理解您着急" in response.content.decode()


def test_a_training_case_proposed_for_retirement_and_a_retired_test_case_stay_readable(client):
    member = committee_member(level=4)
    training = CaseFactory(level=5, split="training")
    pending_retirement(training)
    retired = CaseFactory(level=5, split="test")
    Case.objects.filter(pk=retired.pk).update(status=Case.Status.HISTORY)
    client.force_login(member)
    assert client.get(reverse("casebase:history_detail", args=[training.pk])).status_code == 200
    assert client.get(reverse("casebase:history_detail", args=[retired.pk])).status_code == 200


# --- a quality-case application is judged once per case version ---------------------------------


def accepted_case_of(author):
    proposal = case_new_propose(
        proposer=author,
        kind="text",
        title="停机投诉",
        category_id=category().pk,
        reason="典型",
        tree=sample_tree(),
    )
    for _ in range(3):
        proposal_vote(
            proposal_id=proposal.pk,
            reviewer=committee_member(),
            decision="approve",
            extra={"points": 30, "level": 1, "split": "training"},
        )
    return Case.objects.get(pk=Proposal.objects.get(pk=proposal.pk).target_id)


def reject(proposal, members):
    for member in members:
        proposal_vote(proposal_id=proposal.pk, reviewer=member, decision="reject", comment="一般")


def test_a_rejected_quality_case_application_cannot_be_sent_again_on_the_same_version(client, api):
    # given: the author's application rejected by two members (each paid the case-review rule)
    author = UserFactory(roles=["CSR"])
    case = accepted_case_of(author)
    members = [committee_member(), committee_member()]
    reject(quality_case_apply(applicant=author, case_id=case.pk, statement="写得好"), members)
    paid = PointsEntry.objects.filter(employee__in=members).count()
    # when: the same version again, through the service, the case page and the API
    with pytest.raises(CaseConflict) as exc:
        quality_case_apply(applicant=author, case_id=case.pk, statement="再评一次")
    client.force_login(author)
    page = client.post(reverse("casebase:quality_apply", args=[case.pk]), {"statement": "再评一次"})
    api.force_authenticate(author)
    response = api.post(
        reverse("api-review-proposals"),
        {"kind": "quality_case", "case_id": case.pk, "statement": "再评一次"},
        format="json",
    )
    # then: refused everywhere; nothing more for the members to vote on (or be paid for)
    assert str(exc.value) == MSG_QUALITY_JUDGED
    assert page.status_code == 400 and "already judged this version" in page.content.decode()
    assert response.status_code == 409 and response.json()["detail"] == MSG_QUALITY_JUDGED
    assert Proposal.objects.filter(kind="quality_case").count() == 1
    assert PointsEntry.objects.filter(employee__in=members).count() == paid == 2


def test_an_application_withdrawn_after_a_vote_counts_as_judged_but_one_withdrawn_unseen_does_not():
    author = UserFactory(roles=["CSR"])
    case = accepted_case_of(author)
    untouched = quality_case_apply(applicant=author, case_id=case.pk, statement="写得好")
    proposal_withdraw(proposal_id=untouched.pk, user=author)
    voted = quality_case_apply(applicant=author, case_id=case.pk, statement="写得好")
    reject(voted, [committee_member()])
    proposal_withdraw(proposal_id=voted.pk, user=author)
    with pytest.raises(CaseConflict, match="already judged this version"):
        quality_case_apply(applicant=author, case_id=case.pk, statement="再评一次")


def test_after_an_accepted_revision_the_new_version_may_apply():
    author = UserFactory(roles=["CSR"])
    case = accepted_case_of(author)
    reject(
        quality_case_apply(applicant=author, case_id=case.pk, statement="写得好"),
        [committee_member(), committee_member()],
    )
    revision = case_revision_propose(
        proposer=author,
        case_id=case.pk,
        base_version=case.version,
        reason="补充回访",
        title="停机投诉（修订）",
        category_id=case.category_id,
        background=case.background,
        tree=sample_tree(),
    )
    for _ in range(3):
        proposal_vote(
            proposal_id=revision.pk,
            reviewer=committee_member(),
            decision="approve",
            extra={"points": 10},
        )
    assert (
        quality_case_apply(applicant=author, case_id=case.pk, statement="新版本").base_version == 2
    )


# --- one exam question gives no other away ---------------------------------------------------


def test_the_best_reply_is_never_asked_next_to_its_own_rationales():
    # given: a decision point whose best reply has two rationales and whose alternative has one
    case = CaseFactory(split="test")
    nodes = list(CaseNode.objects.filter(case=case).order_by("order", "pk"))
    best = CaseNode.objects.get(case=case, role="csr", is_best=True, parent__parent__isnull=True)
    for seed in range(30):
        made = questions.case_questions(case, nodes, random.Random(seed), max_per_case=6)
        kinds = [q["kind"] for q in made if q["customer"] == best.parent.text]
        # then: "choose the main rationale" lists mostly the best reply's rationales, which an
        # examinee matches to a reply, so it is never asked beside "choose the best reply"
        assert not {"best_reply", "main_rationale"} <= set(kinds), (seed, kinds)
        rationale_question = next((q for q in made if q["kind"] == "main_rationale"), None)
        if rationale_question:
            texts = {o["text"] for o in rationale_question["options"]}
            assert set(best.rationales) <= texts


# --- reading a drawn case during one's own exam (attack review) ------------------


def test_an_examinee_cannot_open_a_proposal_of_a_case_their_running_exam_drew(client):
    # given: a level-4 text test case written by a colleague, who applies for its quality-case
    # review; a level-3 committee member has not opened that application (so the case may be
    # drawn for them) and starts their level-4 exam, which draws it
    from datetime import timedelta

    from django.utils import timezone

    from casebase.models import CaseExposure
    from promotion.models import ExamAttempt

    author = UserFactory(roles=["CSR"], level=5)
    case = case_create(
        kind="text",
        title="携号转网挽留",
        category=category(),
        level=4,
        split="test",
        tree=sample_tree(),
        author=author,
    )
    application = quality_case_apply(applicant=author, case_id=case.pk, statement="经典案例")
    member = committee_member(level=3)
    ExamAttempt.objects.create(
        employee=member,
        level=4,
        deadline=timezone.now() + timedelta(minutes=30),
        case_ids=[case.pk],
        pass_percent=80,
    )
    client.force_login(member)
    # when: during the exam they open the application (the case's tree: the exam's answers)
    response = client.get(reverse("review:proposal_detail", args=[application.pk]))
    # then: not while the attempt runs
    assert response.status_code == 404
    assert not CaseExposure.objects.filter(employee=member).exists()
    # once the attempt is over, the page opens (and the exposure is recorded)
    ExamAttempt.objects.filter(employee=member).update(status="failed", submitted_at=timezone.now())
    assert client.get(reverse("review:proposal_detail", args=[application.pk])).status_code == 200
    assert CaseExposure.objects.filter(employee=member, proposal=application).exists()
