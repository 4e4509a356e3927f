"""Attacks on direct KB maintenance: resurrecting a proposal by retire/restore, paying oneself
points by direct edits, escaping the experts by moving the target under an open proposal."""

import pytest
from django.urls import reverse

from knowledgebase import services
from knowledgebase.tests.factories import CategoryFactory, EntryFactory
from points.models import PointsEntry
from review import services as review_services
from review.models import Proposal
from review.services import ReviewConflict
from review.tests.factories import committee_member

pytestmark = pytest.mark.django_db


def propose(entry, proposer):
    return services.kb_revision_propose(
        proposer=proposer,
        entry_id=entry.pk,
        base_version=entry.version,
        title=entry.title,
        body=entry.body + "（补）",
        keywords=entry.keywords,
        category_id=entry.category_id,
        reason="更清楚",
    )


def test_retire_then_restore_does_not_bring_an_outdated_proposal_back_to_the_vote(ops_manager, csr):
    entry = EntryFactory()
    proposal = propose(entry, csr)
    services.entry_retire(
        author=ops_manager, entry_id=entry.pk, base_version=entry.version, reason="停用"
    )
    services.entry_restore(
        author=ops_manager, entry_id=entry.pk, base_version=entry.version + 1, reason="恢复"
    )
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.STALE
    with pytest.raises(ReviewConflict):
        review_services.proposal_vote(
            proposal_id=proposal.pk,
            reviewer=committee_member(),
            decision="approve",
            comment="ok",
            extra={"points": 3},
        )


def test_direct_edits_pay_the_maintainer_no_points(ops_manager):
    category = CategoryFactory()
    write = services.entry_add(
        author=ops_manager,
        title="新条目",
        body="正文",
        keywords="",
        category_id=category.pk,
        reason="新增",
    )
    entry = write.entry
    services.entry_revise(
        author=ops_manager,
        entry_id=entry.pk,
        base_version=entry.version,
        title=entry.title,
        body="正文二",
        keywords="",
        category_id=category.pk,
        reason="改",
    )
    services.entry_retire(author=ops_manager, entry_id=entry.pk, base_version=2, reason="停")
    services.entry_restore(author=ops_manager, entry_id=entry.pk, base_version=3, reason="复")
    assert not PointsEntry.objects.filter(employee=ops_manager).exists()


def test_moving_the_target_under_an_open_proposal_outdates_it(ops_manager, csr):
    # a maintainer moves the entry into a category whose experts are friends: the open
    # proposal (decided by the old category's experts) is outdated, not re-routed
    entry = EntryFactory()
    proposal = propose(entry, csr)
    services.entry_revise(
        author=ops_manager,
        entry_id=entry.pk,
        base_version=entry.version,
        title=entry.title,
        body=entry.body,
        keywords=entry.keywords,
        category_id=CategoryFactory().pk,
        reason="归类",
    )
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.STALE


def test_script_in_a_direct_edit_is_escaped_on_the_entry_diff_and_search_pages(
    client, ops_manager, csr
):
    entry = EntryFactory(title="话费充值", body="充值实时到账。")
    services.entry_revise(
        author=ops_manager,
        entry_id=entry.pk,
        base_version=entry.version,
        title=entry.title,
        body="充值<script>alert(1)</script>实时到账。",
        keywords=entry.keywords,
        category_id=entry.category_id,
        reason="<img src=x onerror=alert(2)>",
    )
    client.force_login(csr)
    for url, params in (
        (reverse("knowledgebase:entry_detail", args=[entry.pk]), {}),
        (reverse("knowledgebase:entry_diff", args=[entry.pk]), {}),
        (reverse("knowledgebase:search"), {"q": "充值"}),
    ):
        answer = client.get(url, params)
        page = answer.content.decode()
        assert answer.status_code == 200 and "&lt;script&gt;" in page, url
        assert "<script>alert(1)</script>" not in page and "<img src=x" not in page, url
