"""Races against real PostgreSQL: real threads, each with its own connection."""

import time
from collections import Counter

import pytest
from django.db import connection

from knowledgebase.models import Entry
from review import services
from review.models import Proposal, ReviewEvent, Vote
from review.tests.factories import RevisionProposalFactory, committee_member
from tests.concurrency import Rendezvous, is_deadlock, record_retries, run_at_once

pytestmark = [
    # serialized_rollback: the flush between transactional tests would drop the role groups
    # and seeded settings that data migrations created.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


@pytest.mark.parametrize("round_number", range(5))
def test_six_reviewers_approving_at_the_same_moment_apply_the_change_exactly_once(round_number):
    # given
    proposal = RevisionProposalFactory()
    members = [committee_member() for _ in range(6)]
    # when
    results = run_at_once(
        [
            (
                lambda m=m: services.proposal_vote(
                    proposal_id=proposal.pk,
                    reviewer=m,
                    decision="approve",
                    comment="",
                    extra={"points": 3},
                )
            )
            for m in members
        ]
    )
    # then
    proposal.refresh_from_db()
    entry = Entry.objects.get(pk=proposal.target_id)
    refused = [r for r in results if isinstance(r, Exception)]
    assert proposal.status == Proposal.Status.APPLIED
    assert Vote.objects.filter(proposal=proposal).count() == 3
    assert entry.version == 2
    assert entry.history.count() == 2
    assert ReviewEvent.objects.filter(proposal=proposal, kind=ReviewEvent.Kind.APPLIED).count() == 1
    assert len(refused) == 3
    assert all(
        isinstance(r, services.ReviewConflict) and str(r) == "This proposal is no longer open."
        for r in refused
    )


def test_two_proposals_on_the_same_version_applied_at_once_never_overwrite_each_other():
    # given: proposals A and B on version 1, each two approvals short of... one approval short
    a = RevisionProposalFactory()
    entry = a.target
    b = RevisionProposalFactory(target=entry, payload={**a.payload, "body": "B 的写法"})
    members = [committee_member() for _ in range(4)]
    for proposal in (a, b):
        for m in members[:2]:
            services.proposal_vote(
                proposal_id=proposal.pk,
                reviewer=m,
                decision="approve",
                comment="",
                extra={"points": 3},
            )
    # when: the third approvals of both arrive at the same moment
    run_at_once(
        [
            lambda: services.proposal_vote(
                proposal_id=a.pk,
                reviewer=members[2],
                decision="approve",
                comment="",
                extra={"points": 3},
            ),
            lambda: services.proposal_vote(
                proposal_id=b.pk,
                reviewer=members[3],
                decision="approve",
                comment="",
                extra={"points": 3},
            ),
        ]
    )
    # then: exactly one is applied, the other is stale; the entry moved one version only
    a.refresh_from_db()
    b.refresh_from_db()
    entry.refresh_from_db()
    assert sorted([a.status, b.status]) == [Proposal.Status.APPLIED, Proposal.Status.STALE]
    winner = a if a.status == Proposal.Status.APPLIED else b
    assert entry.version == 2
    assert entry.body == winner.payload["body"]


def test_racing_approvals_on_a_committee_application_admit_the_applicant_once():
    # given: an eligible applicant and six members approving at the same moment
    from accounts.tests.factories import UserFactory
    from review.models import CommitteeApplication, CommitteeMembership

    applicant = UserFactory(level=4, roles=["CSR"])
    for _ in range(3):
        RevisionProposalFactory(proposer=applicant, status="applied")
    application = services.committee_application_submit(applicant=applicant)
    members = [committee_member() for _ in range(6)]
    # when
    results = run_at_once(
        [
            (
                lambda m=m: services.proposal_vote(
                    proposal_id=application.proposal_id, reviewer=m, decision="approve", comment=""
                )
            )
            for m in members
        ]
    )
    # then: exactly one membership, three votes, the other three refused as closed
    assert CommitteeMembership.objects.filter(member=applicant).count() == 1
    assert CommitteeApplication.objects.get(pk=application.pk).status == "accepted"
    assert Vote.objects.filter(proposal_id=application.proposal_id).count() == 3
    assert ReviewEvent.objects.filter(kind="application_accepted", subject=applicant).count() == 1
    assert sum(isinstance(r, services.ReviewConflict) for r in results) == 3


@pytest.mark.parametrize("round_number", range(3))
def test_quality_case_applications_at_the_same_moment_make_one(round_number):
    # given: a case with four contributors (created by A naming B, C and D, accepted)
    from accounts.tests.factories import UserFactory
    from casebase.services.proposals import case_new_propose
    from casebase.services.quality import quality_case_apply
    from casebase.tests.factories import category, sample_tree

    a, *others = [UserFactory(roles=["CSR"]) for _ in range(4)]
    created = case_new_propose(
        proposer=a,
        kind="text",
        title="停机投诉",
        category_id=category().pk,
        reason="r",
        tree=sample_tree(),
        participants=[o.staff_id for o in others],
    )
    for _ in range(3):
        services.proposal_vote(
            proposal_id=created.pk,
            reviewer=committee_member(),
            decision="approve",
            extra={"level": 1, "split": "training", "points": 30},
        )
    case_id = Proposal.objects.get(pk=created.pk).target_id
    # when
    results = run_at_once(
        [
            (lambda p=p: quality_case_apply(applicant=p, case_id=case_id, statement="好案例"))
            for p in [a, *others]
        ]
    )
    # then
    assert Proposal.objects.filter(kind="quality_case", target_id=case_id).count() == 1
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 3
    assert {str(r) for r in refused} == {"This case already has an open quality-case application."}


TRIALS = 10  # each trial: two deciding approvals meeting after their first lock


def _deciding_approvals_race(monkeypatch, first, second, extra):
    """Both proposals one approval short; their deciding approvals arrive at the same moment,
    each transaction pausing (Rendezvous) after its first lock so both hold it before either
    takes its second. Returns the two results."""
    members = [committee_member() for _ in range(4)]
    for proposal in (first, second):
        for m in members[:2]:
            services.proposal_vote(
                proposal_id=proposal.pk, reviewer=m, decision="approve", comment="", extra=extra
            )
    meeting = Rendezvous(timeout=0.5)
    with monkeypatch.context() as patch:
        patch.setattr(services, "_vote_extra", meeting.before(services._vote_extra))
        return run_at_once(
            [
                lambda: services.proposal_vote(
                    proposal_id=first.pk,
                    reviewer=members[2],
                    decision="approve",
                    comment="",
                    extra=extra,
                ),
                lambda: services.proposal_vote(
                    proposal_id=second.pk,
                    reviewer=members[3],
                    decision="approve",
                    comment="",
                    extra=extra,
                ),
            ]
        )


def _outcome(results, first, second, retries) -> str:
    """One trial in a word: "deadlock", "deadlock, retried", "error: …", or the two statuses."""
    if any(is_deadlock(r) for r in results):
        return "deadlock"
    if retries:
        retries.clear()
        return "deadlock, retried"
    unexpected = [r for r in results if not isinstance(r, (Vote, services.ReviewConflict))]
    if unexpected:
        return f"error: {unexpected[0]!r}"
    first.refresh_from_db()
    second.refresh_from_db()
    return "+".join(sorted([first.status, second.status]))


def test_deciding_approvals_of_two_revisions_of_one_entry_never_deadlock(monkeypatch):
    retries = record_retries(monkeypatch)
    outcomes = []
    for _ in range(TRIALS):
        # given: two revisions of one entry on its version 1
        a = RevisionProposalFactory()
        b = RevisionProposalFactory(target=a.target, payload={**a.payload, "body": "B 的写法"})
        # when
        results = _deciding_approvals_race(monkeypatch, a, b, {"points": 3})
        outcomes.append(_outcome(results, a, b, retries))
        assert Entry.objects.get(pk=a.target_id).version == 2
    # then: every trial applied one, marked the other stale and refused its late vote as closed
    assert outcomes == ["applied+stale"] * TRIALS, Counter(outcomes)


def test_deciding_approvals_of_two_revisions_of_one_case_never_deadlock(monkeypatch):
    from accounts.tests.factories import UserFactory
    from casebase.models import Case
    from casebase.services.proposals import case_revision_propose
    from casebase.tests.factories import CaseFactory, sample_tree

    retries = record_retries(monkeypatch)
    outcomes = []
    for _ in range(TRIALS):
        # given: two revisions of one case on its version 1
        case = CaseFactory(level=1)
        proposer = UserFactory(roles=["CSR"])
        a, b = (
            case_revision_propose(
                proposer=proposer,
                case_id=case.pk,
                base_version=1,
                reason="r",
                title=title,
                category_id=case.category_id,
                background=case.background,
                tree=sample_tree(),
            )
            for title in ("新标题一", "新标题二")
        )
        # when
        results = _deciding_approvals_race(monkeypatch, a, b, {"points": 10})
        outcomes.append(_outcome(results, a, b, retries))
        assert Case.objects.get(pk=case.pk).version == 2
    # then
    assert outcomes == ["applied+stale"] * TRIALS, Counter(outcomes)


def _proposal_written_while_a_sibling_is_applied(
    monkeypatch, *, sibling, propose, creator_module, creator_step, current_version, extra, retries
) -> str:
    """The deciding approval of ``sibling`` and a new proposal on the same target at the same
    moment: each pauses after its first lock (the creator after reading the target's version,
    then a little longer, so an approval that was not kept out by a lock commits meanwhile).
    Returns what became of the new proposal."""
    members = [committee_member() for _ in range(3)]
    for m in members[:2]:
        services.proposal_vote(
            proposal_id=sibling.pk, reviewer=m, decision="approve", comment="", extra=extra
        )
    meeting = Rendezvous(timeout=0.5)
    real_step = getattr(creator_module, creator_step)

    def creator_pauses(*args, **kwargs):
        meeting.wait()
        time.sleep(0.3)
        return real_step(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(services, "_vote_extra", meeting.before(services._vote_extra))
        patch.setattr(creator_module, creator_step, creator_pauses)
        vote, created = run_at_once(
            [
                lambda: services.proposal_vote(
                    proposal_id=sibling.pk,
                    reviewer=members[2],
                    decision="approve",
                    comment="",
                    extra=extra,
                ),
                propose,
            ]
        )
    if is_deadlock(vote) or is_deadlock(created):
        return "deadlock"
    if retries:
        retries.clear()
        return "deadlock, retried"
    if not isinstance(vote, Vote):
        return f"error: {vote!r}"
    if isinstance(created, services.OutdatedBaseVersion):
        return "refused as outdated"
    if not isinstance(created, Proposal):
        return f"error: {created!r}"
    created.refresh_from_db()
    if created.status == Proposal.Status.STALE:
        return "marked stale"
    return (
        "open on the current version"
        if created.base_version == current_version()
        else "open on an old version"
    )


def test_a_revision_proposed_while_a_sibling_is_applied_is_never_left_open_on_the_old_version(
    monkeypatch,
):
    from knowledgebase import services as kb_services

    retries = record_retries(monkeypatch)
    outcomes = []
    for _ in range(TRIALS):
        # given: revision A of an entry one approval short; B is being written on version 1
        a = RevisionProposalFactory()
        entry = a.target
        proposer = a.proposer

        def propose(entry=entry, proposer=proposer):
            return kb_services.kb_revision_propose(
                proposer=proposer,
                entry_id=entry.pk,
                base_version=1,
                title=entry.title,
                body="B 的写法",
                keywords=entry.keywords,
                category_id=entry.category_id,
                reason="更清楚",
            )

        # when / then
        outcomes.append(
            _proposal_written_while_a_sibling_is_applied(
                monkeypatch,
                sibling=a,
                propose=propose,
                creator_module=kb_services,
                creator_step="_payload",
                current_version=lambda entry=entry: Entry.objects.get(pk=entry.pk).version,
                extra={"points": 3},
                retries=retries,
            )
        )
    assert {"deadlock", "deadlock, retried", "open on an old version"}.isdisjoint(outcomes), (
        Counter(outcomes)
    )
    assert not [o for o in outcomes if o.startswith("error")], Counter(outcomes)


def test_a_case_revision_proposed_while_a_sibling_is_applied_is_never_left_open_on_the_old_version(
    monkeypatch,
):
    from accounts.tests.factories import UserFactory
    from casebase.models import Case
    from casebase.services import proposals
    from casebase.services.proposals import case_revision_propose
    from casebase.tests.factories import CaseFactory, sample_tree

    retries = record_retries(monkeypatch)
    outcomes = []
    for _ in range(TRIALS):
        # given
        case = CaseFactory(level=1)
        proposer = UserFactory(roles=["CSR"])
        a = case_revision_propose(
            proposer=proposer,
            case_id=case.pk,
            base_version=1,
            reason="r",
            title="新标题一",
            category_id=case.category_id,
            background=case.background,
            tree=sample_tree(),
        )

        def propose(case=case, proposer=proposer):
            return case_revision_propose(
                proposer=proposer,
                case_id=case.pk,
                base_version=1,
                reason="r",
                title="新标题二",
                category_id=case.category_id,
                background=case.background,
                tree=sample_tree(),
            )

        # when / then
        outcomes.append(
            _proposal_written_while_a_sibling_is_applied(
                monkeypatch,
                sibling=a,
                propose=propose,
                creator_module=proposals,
                creator_step="participants_resolve",
                current_version=lambda case=case: Case.objects.get(pk=case.pk).version,
                extra={"points": 10},
                retries=retries,
            )
        )
    assert {"deadlock", "deadlock, retried", "open on an old version"}.isdisjoint(outcomes), (
        Counter(outcomes)
    )
    assert not [o for o in outcomes if o.startswith("error")], Counter(outcomes)
