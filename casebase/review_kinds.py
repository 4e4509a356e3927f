"""The case libraries' proposal kinds, registered with the review engine at start-up."""

import difflib

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from review.registry import ProposalKind, register


def _rebase_url(proposal) -> str | None:
    if proposal.kind == "case_revision" and proposal.status == "stale":
        return reverse("casebase:revise", args=[proposal.target_id])
    return None


def _line_diff(before: str, after: str) -> list[tuple[str, str]]:
    """(op, line) pairs: op is " " (unchanged), "-" (removed) or "+" (added)."""
    rows = []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line[:1] in (" ", "-", "+"):
            rows.append((line[:1], line[2:]))
    return rows


def render_summary(proposal) -> str:
    """HTML of a case proposal for the review pages: the proposed case (tree or recording),
    the other participants named by the proposer and, for a revision, a line diff of its content against the version it was written on."""
    from django.contrib.auth import get_user_model

    from casebase.models import Case, CaseCategory
    from casebase.tree import tree_to_text

    payload = proposal.payload
    participants = list(get_user_model().objects.filter(pk__in=payload.get("participants") or []).order_by("staff_id"))
    before = payload.get("before") or {}
    category = CaseCategory.objects.filter(pk=payload.get("category_id")).first()
    diff = None
    if proposal.kind == "case_revision":
        def text_of(data):
            head = [f"# {data.get('title', '')}", f"# {data.get('background', '')}"]
            if data.get("tree"):
                return "\n".join(head) + "\n" + tree_to_text(data["tree"])
            return "\n".join(head + [f"# {data.get('premise', '')} / {data.get('emotion_grade', '')}",
                                     data.get("transcript", ""), data.get("audio", "")])
        diff = _line_diff(text_of(before), text_of(payload))
    return render_to_string("casebase/_proposal_summary.html", {
        "p": payload, "category": category, "diff": diff, "tree": payload.get("tree"),
        "premise_label": dict(Case.Premise.choices).get(payload.get("premise"), ""),
        "participants": participants,
    })


def grading_initial(proposal) -> dict:
    """The vote form's defaults for a new case: the proposer's suggested level and the set
    that level is further short of (test when its test set is further below its target,
    else training)."""
    from casebase.models import MAX_LEVEL, MIN_LEVEL
    from casebase.selectors import split_counts

    try:
        level = min(max(int(proposal.payload.get("suggested_level") or MIN_LEVEL), MIN_LEVEL), MAX_LEVEL)
    except (TypeError, ValueError):
        level = MIN_LEVEL
    return {"level": level, "split": split_counts()[level].suggested_split}


def _propose_new(*, proposer, **data):
    from casebase.services import case_new_propose

    return case_new_propose(proposer=proposer, **data)


def _propose_revision(*, proposer, **data):
    from casebase.selectors import study_cases
    from casebase.services import case_revision_propose

    return case_revision_propose(proposer=proposer, visible_cases=study_cases(proposer), **data)


def register_kinds() -> None:
    from casebase import forms, serializers, services

    register(ProposalKind(
        code=services.KIND_NEW, label=_("New case"),
        apply=services.apply_new_case, current_version=services.current_version,
        render_diff=render_summary,
        propose=_propose_new, input_serializer=serializers.NewTextCaseInput,
        vote_form=forms.CaseGradingForm, vote_form_initial=grading_initial,
        proposer_points_rule="case_created", reviewer_points_rule="committee_case_review",
        participant_points_rule="quality_case_participant", outstanding_points_rule="quality_case_outstanding",
    ))
    register(ProposalKind(
        code=services.KIND_REVISION, label=_("Case revision"),
        apply=services.apply_revision, current_version=services.current_version,
        render_diff=render_summary, rebase_url=_rebase_url,
        propose=_propose_revision, input_serializer=serializers.RevisionInput,
        vote_form=forms.CaseRevisionVoteForm,
        proposer_points_rule="case_revised", reviewer_points_rule="committee_case_review",
        participant_points_rule="quality_case_participant", outstanding_points_rule="quality_case_outstanding",
    ))
