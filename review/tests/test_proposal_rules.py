"""Who sees, withdraws and votes on a proposal: named rules (review/rules.py) that the pages,
the template's buttons and the services ask, so they cannot disagree."""

import pytest
from django.urls import reverse

from accounts.rules import allowed
from accounts.tests.factories import UserFactory
from review import services
from review.models import Recusal
from review.rules import VIEW_PROPOSAL, VOTE, WITHDRAW_PROPOSAL
from review.tests.factories import RevisionProposalFactory, committee_member

pytestmark = pytest.mark.django_db


def withdraw_button(client, proposal) -> bool:
    page = client.get(reverse("review:proposal_detail", args=[proposal.pk]))
    assert page.status_code == 200
    return reverse("review:proposal_withdraw", args=[proposal.pk]) in page.content.decode()


def test_the_proposer_sees_the_page_with_a_withdraw_button_and_others_do_not(client):
    proposal = RevisionProposalFactory()
    client.force_login(proposal.proposer)
    assert withdraw_button(client, proposal)
    client.force_login(committee_member())
    assert not withdraw_button(client, proposal)


def test_a_recused_employee_sees_the_proposal_and_an_unrelated_csr_does_not(client):
    proposal = RevisionProposalFactory()
    recused, stranger = UserFactory(roles=["CSR"]), UserFactory(roles=["CSR"])
    Recusal.objects.create(proposal=proposal, employee=recused)
    client.force_login(recused)
    assert client.get(reverse("review:proposal_detail", args=[proposal.pk])).status_code == 200
    client.force_login(stranger)
    assert client.get(reverse("review:proposal_detail", args=[proposal.pk])).status_code == 403


def test_the_rules_and_the_services_agree():
    proposal = RevisionProposalFactory()
    member, proposer = committee_member(), proposal.proposer
    assert allowed(VIEW_PROPOSAL, proposer, proposal) and allowed(VIEW_PROPOSAL, member, proposal)
    assert allowed(WITHDRAW_PROPOSAL, proposer, proposal) and not allowed(
        WITHDRAW_PROPOSAL, member, proposal
    )
    assert allowed(VOTE, member, proposal) and not allowed(VOTE, proposer, proposal)
    with pytest.raises(services.ReviewPermissionDenied):
        services.proposal_withdraw(proposal_id=proposal.pk, user=member)
    services.proposal_withdraw(proposal_id=proposal.pk, user=proposer)
    proposal.refresh_from_db()
    assert not allowed(WITHDRAW_PROPOSAL, proposer, proposal) and not allowed(
        VOTE, member, proposal
    )
