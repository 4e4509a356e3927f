import pytest

from config.diffs import text_diff_html
from knowledgebase import services
from knowledgebase.models import Entry
from knowledgebase.selectors import proposal_diff_html
from knowledgebase.tests.factories import CategoryFactory, EntryFactory
from review import services as review_services
from review.models import Proposal
from review.tests.factories import committee_member

pytestmark = pytest.mark.django_db


def propose(entry, user, **changes):
    data = {
        "title": entry.title,
        "body": entry.body,
        "keywords": entry.keywords,
        "category_id": entry.category_id,
        "reason": "更准确",
        "base_version": entry.version,
        **changes,
    }
    return services.kb_revision_propose(proposer=user, entry_id=entry.pk, **data)


def approve_by_three(proposal):
    for _ in range(3):
        review_services.proposal_vote(
            proposal_id=proposal.pk,
            reviewer=committee_member(),
            decision="approve",
            comment="",
            extra={"points": 3},
        )


def test_any_employee_proposes_a_revision_against_the_current_version(csr):
    entry = EntryFactory(body="旧的口径。")
    proposal = propose(entry, csr, body="新的口径。")
    assert proposal.kind == "kb_revision" and proposal.base_version == 1 and proposal.is_open
    assert proposal.target == entry


def test_proposal_on_an_outdated_version_is_refused_with_a_rebase_message(csr):
    entry = EntryFactory(version=3)
    with pytest.raises(
        review_services.OutdatedBaseVersion,
        match=r"now version 3\)\. Rebase your proposal on the current version\.$",
    ):
        propose(entry, csr, base_version=2, body="改了")


def test_proposal_that_changes_nothing_is_refused(csr):
    with pytest.raises(review_services.ReviewError, match="changes nothing"):
        propose(EntryFactory(), csr)


def test_proposal_needs_a_reason(csr):
    with pytest.raises(review_services.ReviewError, match="reason"):
        propose(EntryFactory(), csr, body="新的", reason="  ")


def test_applied_revision_is_searchable_and_kept_in_history(csr):
    # given
    entry = EntryFactory(title="积分兑换规则", body="积分可兑换话费。")
    proposal = propose(entry, csr, body="积分可兑换话费和流量，兑换后不可撤销。")
    # when
    approve_by_three(proposal)
    # then
    from knowledgebase.search import search

    entry.refresh_from_db()
    assert entry.version == 2
    assert [h.entry_id for h in search("不可撤销")] == [entry.pk]
    versions = list(
        entry.history.order_by("history_date").values_list("version", "history_user_id")
    )
    assert versions == [(1, None), (2, csr.pk)]


def test_new_entry_proposal_creates_the_entry_when_applied(csr):
    category = CategoryFactory()
    proposal = services.kb_entry_propose(
        proposer=csr,
        title="5G消息介绍",
        body="5G消息是富媒体消息。",
        keywords="",
        category_id=category.pk,
        reason="缺少口径",
    )
    approve_by_three(proposal)
    proposal.refresh_from_db()
    entry = Entry.objects.get(title="5G消息介绍")
    assert (
        proposal.status == Proposal.Status.APPLIED
        and proposal.target_id == entry.pk
        and entry.version == 1
    )


def test_stale_proposal_is_rebased_onto_the_current_version(csr):
    # given: A and B on v1; A applied, B stale
    entry = EntryFactory(body="原文。")
    a = propose(entry, csr, body="A 的改法。")
    b = propose(entry, csr, body="B 的改法。")
    approve_by_three(a)
    b.refresh_from_db()
    assert b.status == Proposal.Status.STALE
    # when
    entry.refresh_from_db()
    rebased = services.kb_revision_propose(
        proposer=csr,
        entry_id=entry.pk,
        base_version=entry.version,
        title=entry.title,
        body="B 在 A 之上的改法。",
        keywords="",
        category_id=entry.category_id,
        reason="rebase",
        rebased_from_id=b.pk,
    )
    # then
    assert rebased.base_version == 2 and rebased.rebased_from == b and rebased.is_open


def test_only_own_stale_proposals_can_be_rebased(csr):
    entry = EntryFactory()
    other = propose(entry, committee_member(), body="别人的")
    with pytest.raises(review_services.ReviewError, match="Only your own outdated proposals"):
        propose(entry, csr, body="我的", rebased_from_id=other.pk)


def test_diff_marks_deleted_and_inserted_text():
    html = text_diff_html("月费128元<起>", "月费158元<起>")
    assert "<del>2</del><ins>5</ins>" in html
    assert "&lt;起&gt;" in html


def test_proposal_diff_shows_the_change_against_the_current_entry(csr):
    entry = EntryFactory(body="日包1GB 3元。")
    proposal = propose(entry, csr, body="日包1GB 3元，当日有效。")
    html = proposal_diff_html(proposal)
    assert "<ins>，当日有效</ins>" in html
