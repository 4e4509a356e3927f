"""The knowledge base's proposal kinds, registered with the review engine at start-up."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from review.registry import ProposalKind, register


def _rebase_url(proposal) -> str | None:
    from knowledgebase.selectors import KIND_REVISION
    from review.models import Proposal

    if proposal.kind == KIND_REVISION and proposal.status == Proposal.Status.STALE:
        return reverse("knowledgebase:proposal_rebase", args=[proposal.pk])
    return None


def _propose_revision(*, proposer, **data):
    from knowledgebase.services import kb_revision_propose

    return kb_revision_propose(proposer=proposer, **data)


def _propose_new_entry(*, proposer, **data):
    from knowledgebase.services import kb_entry_propose

    return kb_entry_propose(proposer=proposer, **data)


def on_applied(proposal, approvals) -> None:
    """An applied KB revision or new entry pays the proposer the rule "kb_revision_accepted"
    (2–5): the lower median of the approving members' ``points`` (the rule's default only
    when none chose, i.e. votes cast before amounts were required)."""
    from points.models import PointRule
    from points.selectors import reviewers_amount
    from points.services import points_award_if_active

    points_award_if_active(
        employee=proposal.proposer,
        rule_code=PointRule.KB_REVISION_ACCEPTED,
        source=f"proposal:{proposal.pk}:proposer",
        amount=reviewers_amount(vote.extra.get("points") for vote in approvals),
        note=f"#{proposal.pk} {proposal.kind}",
    )


def register_kinds() -> None:
    from knowledgebase import forms, serializers, services
    from knowledgebase.selectors import proposal_diff_html
    from points.models import PointRule
    from points.services import proposal_rewards, reviewer_reward

    register(
        ProposalKind(
            code=services.KIND_REVISION,
            label=_("Knowledge-base revision"),
            category_model="knowledgebase.Category",
            apply=services.apply_revision,
            current_version=services.current_version,
            render_diff=proposal_diff_html,
            rebase_url=_rebase_url,
            propose=_propose_revision,
            input_serializer=serializers.RevisionProposalInput,
            vote_form=forms.KBApprovalForm,
            on_decided=reviewer_reward(PointRule.COMMITTEE_KB_REVIEW),
            on_applied=on_applied,
            rewards=proposal_rewards(),
        )
    )
    register(
        ProposalKind(
            code=services.KIND_NEW_ENTRY,
            label=_("New knowledge-base entry"),
            category_model="knowledgebase.Category",
            apply=services.apply_new_entry,
            current_version=services.current_version,
            render_diff=proposal_diff_html,
            propose=_propose_new_entry,
            input_serializer=serializers.NewEntryProposalInput,
            vote_form=forms.KBApprovalForm,
            on_decided=reviewer_reward(PointRule.COMMITTEE_KB_REVIEW),
            on_applied=on_applied,
            rewards=proposal_rewards(),
        )
    )
