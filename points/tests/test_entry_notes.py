"""A ledger row's reason is data (a code and its parameters) rendered in the reader's
language, not a sentence or a raw identifier saved in the row; old rows stay readable."""

import pytest
from django.utils import translation

from accounts.tests.factories import UserFactory
from points.models import NOTE_REVIEW_VOTE, PointsEntry
from points.tests.factories import rule
from review import services as review_services
from review.tests.factories import RevisionProposalFactory, committee_member

pytestmark = pytest.mark.django_db


def test_a_reviewers_reward_stores_a_code_and_shows_the_proposal_and_its_kind_in_words():
    # given a KB revision the committee approves
    proposal = RevisionProposalFactory()
    members = [committee_member() for _ in range(3)]
    for member in members:
        review_services.proposal_vote(
            proposal_id=proposal.pk,
            reviewer=member,
            decision="approve",
            comment="ok",
            extra={"points": 3},
        )
    # when a reviewer's ledger row is read
    entry = PointsEntry.objects.get(employee=members[0])
    # then it holds a code, not text, and reads as words in the reader's language
    assert (entry.note, entry.note_code) == ("", NOTE_REVIEW_VOTE)
    assert entry.note_params == {"proposal": proposal.pk, "kind": proposal.kind}
    with translation.override("en"):
        assert (
            entry.note_display() == f"Review of proposal #{proposal.pk} (Knowledge-base revision)"
        )
    with translation.override("zh-hans"):
        assert (
            "kb_revision" not in entry.note_display()
            and "Knowledge-base revision" not in entry.note_display()
        )


def test_a_row_written_before_the_codes_is_rendered_the_same_way():
    entry = PointsEntry(
        employee=UserFactory.build(),
        amount=5,
        rule=rule("committee_kb_review"),
        source="review:6:1",
        note="#6 kb_revision",
    )
    with translation.override("en"):
        assert entry.note_display() == "Review of proposal #6 (Knowledge-base revision)"


def test_a_persons_own_note_is_shown_as_written():
    entry = PointsEntry(amount=5, note="食堂志愿服务")
    assert entry.note_display() == "食堂志愿服务"


def test_the_points_page_shows_the_rendered_note(client, csr):
    PointsEntry.objects.create(
        employee=csr,
        amount=5,
        rule=rule("committee_kb_review"),
        source="review:6:x",
        note="#6 kb_revision",
    )
    client.force_login(csr)
    content = client.get("/points/").content.decode()
    assert "#6 kb_revision" not in content and "Review of proposal #6" in content
