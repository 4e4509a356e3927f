"""review's part of the home page (accounts.home): the CSR's own proposals still waiting,
and the committee member's panel. Registered from ReviewConfig.ready()."""

from __future__ import annotations

from datetime import datetime

from accounts import roles
from accounts.home import CsrSection, HomePanel, register_csr_section, register_panel
from review.models import Proposal
from review.registry import kinds
from review.selectors import committee_dashboard, proposals_of

OPEN_PROPOSALS = 5  # open proposals shown
# Proposals still waiting on someone: the committee (open) or the proposer (outdated, rebase).
PENDING_STATES = (Proposal.Status.OPEN, Proposal.Status.STALE)


def csr_proposals_section(user, now: datetime) -> dict:
    registered = kinds()
    return {
        "proposals": [
            {
                "proposal": proposal,
                "label": registered[proposal.kind].label
                if proposal.kind in registered
                else proposal.kind,
            }
            for proposal in proposals_of(proposer=user).filter(status__in=PENDING_STATES)[
                :OPEN_PROPOSALS
            ]
        ]
    }


def committee_panel(user):
    """What waits for ``user`` on the committee (review.selectors.committee_dashboard)."""
    return committee_dashboard(reviewer=user)


def register() -> None:
    register_csr_section(CsrSection(name="review", order=50, read=csr_proposals_section))
    register_panel(
        HomePanel(
            name="committee",
            order=20,
            permission=roles.REVIEW,
            template="accounts/home/_committee.html",
            read=committee_panel,
        )
    )
