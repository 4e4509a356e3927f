"""Voting on a proposal page with htmx: the vote box is answered as a fragment (with the
proposal's status, count and votes out of band); refusals are fragments with their 4xx
status; without htmx the vote still redirects (PRG) as before."""

import pytest
from django.urls import reverse

from review.models import Proposal, Vote
from review.tests.factories import RevisionProposalFactory, committee_member

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def vote_url(proposal):
    return reverse("review:proposal_vote", args=[proposal.pk])


def test_the_proposal_page_wires_the_vote_form_to_htmx_with_a_plain_form_fallback(client):
    proposal = RevisionProposalFactory()
    client.force_login(committee_member())
    page = client.get(reverse("review:proposal_detail", args=[proposal.pk])).content.decode()
    assert f'action="{vote_url(proposal)}"' in page and f'hx-post="{vote_url(proposal)}"' in page
    assert 'hx-target="#vote-box"' in page and 'hx-disabled-elt="find button[type=submit]"' in page
    assert 'id="flash"' in page and 'aria-live="polite"' in page


def test_a_vote_with_htmx_returns_the_vote_box_and_the_new_count(client):
    # given
    proposal = RevisionProposalFactory()
    member = committee_member(name="评审甲")
    client.force_login(member)
    # when
    response = client.post(
        vote_url(proposal), {"decision": "approve", "comment": "清楚", "points": "4"}, headers=HTMX
    )
    # then: a fragment with the vote cast, the feedback, and the count and table out of band
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert 'id="vote-box"' in body and 'id="my-vote"' in body and "Your vote: Approve." in body
    assert 'name="decision"' not in body  # voted: no form any more
    assert "Your vote was recorded." in body
    assert (
        'id="vote-counts" hx-swap-oob="true"' in body and "1 of 3 approvals, 0 rejections" in body
    )
    assert 'id="votes-rows" hx-swap-oob="true"' in body and "评审甲" in body and "清楚" in body
    assert Vote.objects.get(proposal=proposal, reviewer=member).extra == {"points": 4}


def test_the_third_approval_with_htmx_shows_the_applied_status(client):
    proposal = RevisionProposalFactory()
    for _ in range(2):
        client.force_login(committee_member())
        client.post(vote_url(proposal), {"decision": "approve", "points": "3"}, headers=HTMX)
    client.force_login(committee_member())
    body = client.post(
        vote_url(proposal), {"decision": "approve", "points": "3"}, headers=HTMX
    ).content.decode()
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.APPLIED
    assert (
        f'class="status-{Proposal.Status.APPLIED}" id="proposal-status" hx-swap-oob="true"' in body
    )


def test_a_vote_without_htmx_still_redirects_to_the_queue(client):
    proposal = RevisionProposalFactory()
    client.force_login(committee_member())
    response = client.post(vote_url(proposal), {"decision": "approve", "points": "4"})
    assert response.status_code == 302 and response["Location"] == reverse("review:queue")


def test_the_proposer_voting_with_htmx_gets_a_403_fragment_with_the_reason(client):
    # given
    proposal = RevisionProposalFactory(proposer=committee_member())
    client.force_login(proposal.proposer)
    # when
    response = client.post(vote_url(proposal), {"decision": "approve", "points": "4"}, headers=HTMX)
    # then
    body = response.content.decode()
    assert response.status_code == 403 and "<html" not in body
    assert 'id="vote-error"' in body and 'name="decision"' not in body
    assert "Your vote was recorded." not in body
    assert not proposal.votes.exists()


def test_voting_twice_with_htmx_is_a_409_fragment_and_the_first_vote_stands(client):
    proposal = RevisionProposalFactory()
    client.force_login(committee_member())
    client.post(vote_url(proposal), {"decision": "approve", "points": "4"}, headers=HTMX)
    response = client.post(vote_url(proposal), {"decision": "approve", "points": "5"}, headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 409 and "<html" not in body
    assert 'id="vote-error"' in body and "You have already voted on this proposal." in body
    assert "Your vote: Approve." in body  # the vote that stands
    assert list(proposal.votes.values_list("decision", flat=True)) == ["approve"]


def test_a_vote_without_a_decision_with_htmx_is_a_400_fragment_with_the_form(client):
    proposal = RevisionProposalFactory()
    client.force_login(committee_member())
    response = client.post(vote_url(proposal), {"comment": "?"}, headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 400
    assert "Choose approve or reject." in body and 'name="decision"' in body and "<html" not in body
    assert not proposal.votes.exists()


def test_approval_points_out_of_range_with_htmx_are_a_400_fragment_on_the_field(client):
    proposal = RevisionProposalFactory()
    client.force_login(committee_member())
    response = client.post(
        vote_url(proposal), {"decision": "approve", "points": "999"}, headers=HTMX
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert 'id="approval-fields"' in body and 'value="999"' in body and "errorlist" in body
    assert not proposal.votes.exists()
