"""Who may see, withdraw and vote on a proposal (named predicates, see accounts/rules.py).
Every object passed is a review.Proposal. The vote service checks the same predicates one by
one under the proposal's row lock, each refusal with its own message."""

import rules

from accounts import roles
from accounts.rules import holds, register
from review import selectors

VIEW_PROPOSAL = "review.view_proposal"
WITHDRAW_PROPOSAL = "review.withdraw_proposal"
VOTE = "review.vote"


@rules.predicate
def is_proposer(user, proposal) -> bool:
    return proposal is not None and proposal.proposer_id == user.pk


@rules.predicate
def is_open(user, proposal) -> bool:
    return proposal is not None and proposal.is_open


@rules.predicate
def is_recused(user, proposal) -> bool:
    """A conflict of interest recorded by the owning app (a Recusal row; one query)."""
    return selectors.is_recused(proposal, user)


@rules.predicate
def is_committee_member(user) -> bool:
    return selectors.is_committee_member(user)


@rules.predicate
def has_voted(user, proposal) -> bool:
    return proposal.votes.filter(reviewer=user).exists()


@rules.predicate
def admitted_by_expertise(user, proposal) -> bool:
    """Review expertise: no expert panel decides the proposal, or ``user`` is on it."""
    return selectors.panel_admits(selectors.expert_panel(proposal), user)


# The proposer, the committee's pages (accounts.review) and the employees recused from it
# (e.g. the contributors a quality-case application would reward).
register(VIEW_PROPOSAL, is_proposer | holds(roles.REVIEW) | is_recused)
register(WITHDRAW_PROPOSAL, is_open & is_proposer)
# Cheapest first: the proposal's own fields, then the membership, the recusal, the vote and
# the expert panel (one query or a few each).
register(
    VOTE,
    is_open & ~is_proposer & is_committee_member & ~is_recused & ~has_voted & admitted_by_expertise,
)
