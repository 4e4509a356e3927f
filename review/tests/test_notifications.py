"""The review engine tells people about decisions: the proposer (applied, rejected, outdated;
a committee application accepted, declined, lapsed) and everyone the decision paid."""

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.tests.factories import UserFactory
from casebase.models import Case
from casebase.services.proposals import case_new_propose
from casebase.services.quality import quality_case_apply
from casebase.tests.factories import category as case_category
from casebase.tests.factories import sample_tree
from knowledgebase.services import kb_revision_propose
from knowledgebase.tests.factories import EntryFactory
from points.models import PointsEntry
from promotion.models import Notification
from review import notices, services
from review.models import CommitteeApplication, Proposal
from review.tests.factories import committee_member

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def revision(entry, proposer=None):
    proposer = proposer or UserFactory(roles=["CSR"])
    return kb_revision_propose(
        proposer=proposer,
        entry_id=entry.pk,
        base_version=entry.version,
        title=entry.title,
        body=entry.body + "（已修订）",
        keywords=entry.keywords,
        category_id=entry.category_id,
        reason="更清楚",
    )


def vote(proposal, member, decision="approve", **extra):
    return services.proposal_vote(
        proposal_id=proposal.pk,
        reviewer=member,
        decision=decision,
        comment="理由",
        extra=extra or ({"points": 4} if decision == "approve" else None),
    )


def kinds_of(user):
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_an_accepted_kb_revision_notifies_its_proposer_and_everyone_it_paid():
    # given
    proposer = UserFactory(roles=["CSR"])
    proposal = revision(EntryFactory(title="套餐变更"), proposer)
    members = [committee_member() for _ in range(3)]
    # when
    for member in members:
        vote(proposal, member)
    # then
    assert kinds_of(proposer) == ["points_received", "proposal_applied"]
    applied = Notification.objects.get(recipient=proposer, kind="proposal_applied")
    assert applied.data == {
        "proposal": proposal.pk,
        "what": "Knowledge-base revision",
        "title": "套餐变更 (v1)",
    }
    paid = Notification.objects.get(recipient=proposer, kind="points_received")
    assert (
        paid.data["points"]
        == PointsEntry.objects.get(source=f"proposal:{proposal.pk}:proposer").amount
        == 4
    )
    for member in members:
        review_points = Notification.objects.get(recipient=member)
        assert (
            review_points.kind == "points_received"
            and review_points.data["reason"] == "for your review"
        )
        assert review_points.data["points"] == 5


def test_notifications_store_parameters_and_render_in_the_readers_language():
    # given
    proposer = UserFactory(roles=["CSR"])
    proposal = revision(EntryFactory(title="套餐变更"), proposer)
    members = [committee_member() for _ in range(3)]
    # when: the deciding member works in Chinese
    with translation.override("zh-hans"):
        for member in members:
            vote(proposal, member)
    applied = Notification.objects.get(recipient=proposer, kind="proposal_applied")
    # then: the row holds no sentence, only msgids and values; the text is made when read
    assert "accepted" not in str(applied.data) and applied.data["what"] == "Knowledge-base revision"
    with translation.override("en"):
        assert applied.text() == (
            "Your proposal (Knowledge-base revision) “套餐变更 (v1)” was accepted by the committee."
        )
    with translation.override("zh-hans"):
        assert (
            "知识库口径修订" in applied.text() and "Knowledge-base revision" not in applied.text()
        )


def test_a_rejected_proposal_notifies_its_proposer_and_pays_the_rejecting_members():
    # given
    proposer = UserFactory(roles=["CSR"])
    proposal = revision(EntryFactory(), proposer)
    members = [committee_member() for _ in range(2)]
    # when
    for member in members:
        vote(proposal, member, "reject")
    # then
    assert kinds_of(proposer) == ["proposal_rejected"]
    assert [kinds_of(m) for m in members] == [["points_received"], ["points_received"]]


def test_an_outdated_sibling_notifies_its_proposer():
    # given: two revisions of one entry; the first is applied
    entry = EntryFactory()
    first, second_proposer = revision(entry), UserFactory(roles=["CSR"])
    second = revision(entry, second_proposer)
    # when
    for _ in range(3):
        vote(first, committee_member())
    # then
    second.refresh_from_db()
    assert second.status == Proposal.Status.STALE
    assert kinds_of(second_proposer) == ["proposal_stale"]
    with translation.override("en"):
        assert "is outdated" in Notification.objects.get(recipient=second_proposer).text()


def test_a_withdrawn_proposal_notifies_nobody():
    proposer = UserFactory(roles=["CSR"])
    proposal = revision(EntryFactory(), proposer)
    vote(proposal, committee_member())
    services.proposal_withdraw(proposal_id=proposal.pk, user=proposer)
    assert not Notification.objects.exists()


def test_quality_case_points_notify_each_contributor():
    # given: a case by A naming B, accepted; A applies for a quality-case review
    a, b = UserFactory(roles=["CSR"]), UserFactory(roles=["CSR"])
    created = case_new_propose(
        proposer=a,
        kind="text",
        title="停机投诉",
        category_id=case_category().pk,
        reason="典型",
        tree=sample_tree(),
        participants=[b.staff_id],
    )
    for _ in range(3):
        vote(created, committee_member(), points=30, level=1, split="training")
    case = Case.objects.get(pk=Proposal.objects.get(pk=created.pk).target_id)
    application = quality_case_apply(applicant=a, case_id=case.pk, statement="回访部分写得很完整")
    Notification.objects.all().delete()
    # when
    for _ in range(3):
        vote(application, committee_member(), points=8, outstanding=b.pk)
    # then
    assert kinds_of(a) == ["points_received", "proposal_applied"]
    assert kinds_of(b) == ["points_received", "points_received"]
    reasons = sorted(n.data["reason"] for n in Notification.objects.filter(recipient=b))
    assert reasons == ["as its outstanding contributor", "as one of its contributors"]
    assert sorted(n.data["points"] for n in Notification.objects.filter(recipient=b)) == [8, 60]


def _eligible_applicant():
    applicant = UserFactory(roles=["CSR"], level=4)
    proposal = revision(EntryFactory(), applicant)
    for _ in range(3):
        vote(proposal, committee_member())
    Notification.objects.all().delete()
    return applicant


@pytest.mark.parametrize(
    ("decision", "kind"), [("approve", "application_accepted"), ("reject", "application_declined")]
)
def test_a_decided_committee_application_notifies_the_applicant(decision, kind):
    # given
    applicant = _eligible_applicant()
    application = services.committee_application_submit(applicant=applicant, statement="想参与评审")
    members = [committee_member() for _ in range(3 if decision == "approve" else 2)]
    # when
    for member in members:
        services.proposal_vote(
            proposal_id=application.proposal_id, reviewer=member, decision=decision, comment="理由"
        )
    # then
    assert kinds_of(applicant) == [kind]
    with translation.override("en"):
        assert (
            "application to join the review committee"
            in Notification.objects.get(recipient=applicant).text()
        )


def test_a_lapsed_committee_application_notifies_the_applicant(ops_manager):
    applicant = _eligible_applicant()
    services.committee_application_submit(applicant=applicant, statement="想参与评审")
    services.committee_member_appoint(member=applicant, appointed_by=ops_manager)
    assert CommitteeApplication.objects.get(applicant=applicant).status == "withdrawn"
    assert kinds_of(applicant) == ["application_lapsed"]


def test_a_decision_notifies_once_even_when_the_hook_runs_again():
    # given
    proposer = UserFactory(roles=["CSR"])
    proposal = revision(EntryFactory(), proposer)
    for _ in range(3):
        vote(proposal, committee_member())
    proposal.refresh_from_db()
    before = Notification.objects.count()
    # when: the notification step runs a second time (a retried transaction, a second caller)
    services._notify_decision(proposal)
    # then
    assert Notification.objects.count() == before


def test_the_notifications_page_shows_the_new_kinds_linked_to_the_proposal(client):
    # given
    proposer = UserFactory(roles=["CSR"])
    proposal = revision(EntryFactory(title="套餐变更"), proposer)
    for _ in range(2):
        vote(proposal, committee_member(), "reject")
    client.force_login(proposer)
    # when
    english = client.get(reverse("promotion:notifications"), **EN).content.decode()
    chinese = client.get(
        reverse("promotion:notifications"), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    # then
    link = reverse("review:proposal_detail", args=[proposal.pk])
    assert (
        f'<a href="{link}">Your proposal (Knowledge-base revision) “套餐变更 (v1)” was rejected'
        in english
    )
    assert link in chinese and "知识库口径修订" in chinese


def test_a_direct_change_of_the_target_outdates_its_open_proposals_and_notifies_their_proposers():
    # given: two open revisions of an entry, one already based on the new version
    entry = EntryFactory()
    proposer = UserFactory(roles=["CSR"])
    old = revision(entry, proposer)
    # when: a manager edits the entry directly (version 2) and the owning app says so
    type(entry).objects.filter(pk=entry.pk).update(version=2)
    outdated = services.target_proposals_outdate(target=entry, current_version=2)
    # then
    old.refresh_from_db()
    assert [p.pk for p in outdated] == [old.pk] and old.status == Proposal.Status.STALE
    assert kinds_of(proposer) == ["proposal_stale"]


def test_every_notice_of_the_engine_is_a_kind_of_notification():
    """review.notices names its kinds without importing the notification app: each must be
    one of that app's kinds (with its message)."""
    assert set(notices.KINDS) <= set(Notification.Kind.values)
    assert all(kind in Notification.MESSAGES for kind in notices.KINDS)
