"""The knowledge base's proposal kinds, registered with the review engine at start-up."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from review.registry import ProposalKind, register


def _rebase_url(proposal) -> str | None:
    if proposal.kind == "kb_revision" and proposal.status == "stale":
        return reverse("knowledgebase:proposal_rebase", args=[proposal.pk])
    return None


def _propose_revision(*, proposer, **data):
    from knowledgebase.services import kb_revision_propose

    return kb_revision_propose(proposer=proposer, **data)


def _propose_new_entry(*, proposer, **data):
    from knowledgebase.services import kb_entry_propose

    return kb_entry_propose(proposer=proposer, **data)


def register_kinds() -> None:
    from knowledgebase import serializers, services
    from knowledgebase.selectors import proposal_diff_html

    register(ProposalKind(
        code=services.KIND_REVISION, label=_("Knowledge-base revision"),
        apply=services.apply_revision, current_version=services.current_version,
        render_diff=proposal_diff_html, rebase_url=_rebase_url,
        propose=_propose_revision, input_serializer=serializers.RevisionProposalInput,
        proposer_points_rule="kb_revision_accepted", reviewer_points_rule="committee_kb_review",
    ))
    register(ProposalKind(
        code=services.KIND_NEW_ENTRY, label=_("New knowledge-base entry"),
        apply=services.apply_new_entry, current_version=services.current_version,
        render_diff=proposal_diff_html,
        propose=_propose_new_entry, input_serializer=serializers.NewEntryProposalInput,
        proposer_points_rule="kb_revision_accepted", reviewer_points_rule="committee_kb_review",
    ))
