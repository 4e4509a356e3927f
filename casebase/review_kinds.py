"""The case libraries' proposal kinds, registered with the review engine at start-up."""

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from config.diffs import line_diff
from review.registry import ProposalKind, register


def _rebase_url(proposal) -> str | None:
    from casebase.selectors import KIND_REVISION
    from review.models import Proposal

    if proposal.kind == KIND_REVISION and proposal.status == Proposal.Status.STALE:
        return reverse("casebase:revise", args=[proposal.target_id])
    return None


def case_content_text(data: dict) -> str:
    """A case's content (proposal-payload form) as lines to diff: title, background, level and
    set when given, then the tree in the structured text format, or the voice fields."""
    from casebase.tree import tree_to_text

    head = [f"# {data.get('title', '')}", f"# {data.get('background', '')}"]
    if data.get("level") is not None or data.get("split"):
        head.append(f"# L{data.get('level', '')} / {data.get('split', '')}")
    if data.get("tree"):
        return "\n".join(head) + "\n" + tree_to_text(data["tree"])
    return "\n".join(
        head
        + [
            f"# {data.get('premise', '')} / {data.get('emotion_grade', '')}",
            data.get("transcript", ""),
            data.get("audio", ""),
        ]
    )


def case_content_diff(before: dict, after: dict) -> list[tuple[str, str]]:
    """The line diff of two versions of a case's content (the review pages, the history)."""
    return line_diff(case_content_text(before), case_content_text(after))


def render_summary(proposal) -> str:
    """HTML of a case proposal for the review pages: the proposed case (tree or recording),
    the other participants named by the proposer and, for a revision, a line diff of its content
    against the version it was written on."""
    from django.contrib.auth import get_user_model

    from casebase.models import Case, CaseCategory
    from casebase.selectors import KIND_REVISION, proposal_recording_url

    payload = proposal.payload
    participants = list(
        get_user_model()
        .objects.filter(pk__in=payload.get("participants") or [])
        .order_by("staff_id")
    )
    before = payload.get("before") or {}
    category = CaseCategory.objects.filter(pk=payload.get("category_id")).first()
    diff = None
    if proposal.kind == KIND_REVISION:
        diff = case_content_diff(before, payload)
    return render_to_string(
        "casebase/_proposal_summary.html",
        {
            "p": payload,
            "category": category,
            "diff": diff,
            "tree": payload.get("tree"),
            "premise_label": dict(Case.Premise.choices).get(payload.get("premise"), ""),
            "participants": participants,
            "recording_url": proposal_recording_url(proposal.pk),
        },
    )


def render_quality_case(proposal) -> str:
    """HTML of a quality-case application for the review pages: the case as it stands (tree
    or recording) and its contributors with what each did (author, proposals)."""
    from casebase.models import Case
    from casebase.selectors import case_contributors, case_tree, proposal_recording_url

    case = Case.objects.select_related("category").get(pk=proposal.target_id)
    applied = {c.employee.pk: c for c in case_contributors(case)}
    contributors = [
        applied[pk] for pk in proposal.payload.get("contributors") or [] if pk in applied
    ]
    return render_to_string(
        "casebase/_quality_case_summary.html",
        {
            "case": case,
            "contributors": contributors,
            "tree": case_tree(case) if case.is_text else None,
            "recording_url": proposal_recording_url(proposal.pk),
        },
    )


def render_item_move(proposal) -> str:
    """HTML of a move proposed from the exam item statistics: the case's title, its current
    and proposed level and set, and the statistics that suggested the move. No content of
    the case (the title is what the statistics page shows)."""
    from casebase.models import Case, CaseCategory

    payload = proposal.payload
    splits = dict(Case.Split.choices)
    return render_to_string(
        "casebase/_item_move_summary.html",
        {
            "p": payload,
            "evidence": payload.get("evidence") or {},
            "category": CaseCategory.objects.filter(pk=payload.get("category_id")).first(),
            "from_split": splits.get(payload.get("from_split"), ""),
            "to_split": splits.get(payload.get("to_split"), ""),
        },
    )


def _quality_rebase_url(proposal) -> str | None:
    from casebase.selectors import KIND_QUALITY
    from review.models import Proposal

    if proposal.kind == KIND_QUALITY and proposal.status == Proposal.Status.STALE:
        return reverse("casebase:quality_apply", args=[proposal.target_id])
    return None


# --- rewards: the case libraries' points policy (DOMAIN.md §5), paid through points -------


def _pay_proposer(rule_code: str):
    def on_applied(proposal, approvals) -> None:
        """An applied case proposal pays its proposer the rule (new case 20–50, revision
        5–20): the lower median of the approving members' ``points``. Named participants
        get nothing here: they are paid when a quality-case review of the case passes."""
        from points.selectors import reviewers_amount
        from points.services import points_award_if_active

        points_award_if_active(
            employee=proposal.proposer,
            rule_code=rule_code,
            source=f"proposal:{proposal.pk}:proposer",
            amount=reviewers_amount(vote.extra.get("points") for vote in approvals),
            note=f"#{proposal.pk} {proposal.kind}",
        )

    return on_applied


def outstanding_contributor(approvals) -> int | None:
    """The user pk the approving members named outstanding most often; a tie goes to the
    one among the tied who was named first in voting order (the earliest approval decides,
    so the outcome never depends on ids or names). None when nobody was named."""
    named = [vote.extra.get("outstanding") for vote in approvals if vote.extra.get("outstanding")]
    if not named:
        return None
    counts = {pk: named.count(pk) for pk in named}
    best = max(counts.values())
    return next(pk for pk in named if counts[pk] == best)


def on_quality_case_applied(proposal, approvals) -> None:
    """A passed quality-case review pays each contributor of the application (its payload
    snapshot) the rule "quality_case_participant" (5–10): the lower median of the approving
    members' ``points``, source "quality-case:<proposal>:<employee>"; and the ONE
    contributor named outstanding by most approving members (outstanding_contributor) the
    rule "quality_case_outstanding" (60), source "quality-case:<proposal>:outstanding" — a
    single key per application, so never two outstanding awards."""
    from django.contrib.auth import get_user_model

    from points.models import PointRule
    from points.selectors import reviewers_amount
    from points.services import points_award_if_active

    contributors = get_user_model().objects.in_bulk(proposal.payload.get("contributors") or [])
    amount = reviewers_amount(vote.extra.get("points") for vote in approvals)
    note = f"#{proposal.pk} {proposal.payload.get('title', '')}"
    for pk in proposal.payload.get("contributors") or []:
        if pk in contributors:
            points_award_if_active(
                employee=contributors[pk],
                rule_code=PointRule.QUALITY_CASE_PARTICIPANT,
                source=f"quality-case:{proposal.pk}:{pk}",
                amount=amount,
                note=note,
            )
    outstanding = outstanding_contributor(approvals)
    if outstanding in contributors:
        points_award_if_active(
            employee=contributors[outstanding],
            rule_code=PointRule.QUALITY_CASE_OUTSTANDING,
            source=f"quality-case:{proposal.pk}:outstanding",
            note=note,
        )


# Why the quality-case awards were paid (before the review points and proposer rewards of
# every kind: the outstanding contributor's source first, it shares the contributors' prefix).
QUALITY_CASE_REWARD_REASONS = (
    ("quality-case:{pk}:outstanding", gettext_noop("as its outstanding contributor")),
    ("quality-case:{pk}:", gettext_noop("as one of its contributors")),
)


def on_viewed(proposal, user) -> None:
    """A case proposal's content (its tree or recording) is about to be shown to ``user`` in
    full on the proposal page: record the exposure, so once the case is accepted — possibly
    into the test set — no exam draws it for them. Http404 instead while ``user`` sits an
    exam that drew the proposal's case (e.g. a quality-case application of a test case): the
    page would show the answers of the running exam; it opens once the attempt is over."""
    from django.http import Http404

    from casebase.selectors import in_running_exam
    from casebase.services.exam_use import case_exposure_record

    if proposal.target_id and in_running_exam(user, proposal.target_id):
        raise Http404
    case_exposure_record(employee=user, proposal=proposal)


def on_closed(proposal) -> None:
    """A case proposal closed without being applied: delete its uploaded recording after
    the commit (unless something else still refers to it)."""
    from casebase.services.audio import proposal_recording_cleanup

    proposal_recording_cleanup(proposal)


def _propose_quality(*, proposer, case_id: int, statement: str):
    from casebase.services.quality import quality_case_apply

    return quality_case_apply(applicant=proposer, case_id=case_id, statement=statement)


def _propose_new(*, proposer, **data):
    from casebase.services.proposals import case_new_propose

    return case_new_propose(proposer=proposer, **data)


def _propose_revision(*, proposer, **data):
    from casebase.services.proposals import case_revision_propose

    return case_revision_propose(proposer=proposer, **data)


def _propose_item_move(*, proposer, case_id: int, action: str, reason: str):
    from casebase.services.item_moves import case_item_move_propose

    return case_item_move_propose(proposer=proposer, case_id=case_id, action=action, reason=reason)


def register_kinds() -> None:
    from casebase import forms, serializers
    from casebase.selectors import KIND_ITEM_MOVE, KIND_NEW, KIND_QUALITY, KIND_REVISION
    from casebase.services.item_moves import apply_item_move, on_item_move_applied
    from casebase.services.proposals import apply_new_case, apply_revision, current_version
    from casebase.services.quality import apply_quality_case
    from points.models import PointRule
    from points.services import PROPOSAL_REWARD_REASONS, proposal_rewards, reviewer_reward

    register(
        ProposalKind(
            code=KIND_NEW,
            label=_("New case"),
            category_model="casebase.CaseCategory",
            apply=apply_new_case,
            current_version=current_version,
            render_diff=render_summary,
            propose=_propose_new,
            input_serializer=serializers.NewTextCaseInput,
            vote_form=forms.CaseGradingForm,
            on_decided=reviewer_reward(PointRule.COMMITTEE_CASE_REVIEW),
            on_applied=_pay_proposer(PointRule.CASE_CREATED),
            rewards=proposal_rewards(),
            on_closed=on_closed,
            on_viewed=on_viewed,
        )
    )
    register(
        ProposalKind(
            code=KIND_REVISION,
            label=_("Case revision"),
            category_model="casebase.CaseCategory",
            apply=apply_revision,
            current_version=current_version,
            render_diff=render_summary,
            rebase_url=_rebase_url,
            propose=_propose_revision,
            input_serializer=serializers.RevisionInput,
            vote_form=forms.CaseRevisionVoteForm,
            on_decided=reviewer_reward(PointRule.COMMITTEE_CASE_REVIEW),
            on_applied=_pay_proposer(PointRule.CASE_REVISED),
            rewards=proposal_rewards(),
            on_closed=on_closed,
            on_viewed=on_viewed,
        )
    )
    register(
        ProposalKind(
            code=KIND_QUALITY,
            label=_("Quality-case review"),
            category_model="casebase.CaseCategory",
            apply=apply_quality_case,
            current_version=current_version,
            render_diff=render_quality_case,
            rebase_url=_quality_rebase_url,
            propose=_propose_quality,
            input_serializer=serializers.QualityCaseApplicationInput,
            vote_form=forms.QualityCaseVoteForm,
            on_decided=reviewer_reward(PointRule.COMMITTEE_CASE_REVIEW),
            on_applied=on_quality_case_applied,
            rewards=proposal_rewards(QUALITY_CASE_REWARD_REASONS + PROPOSAL_REWARD_REASONS),
            on_viewed=on_viewed,
            counts_for_pass_rate=False,
        )
    )
    register(
        ProposalKind(
            code=KIND_ITEM_MOVE,
            label=_("Test case move (item statistics)"),
            category_model="casebase.CaseCategory",
            apply=apply_item_move,
            current_version=current_version,
            render_diff=render_item_move,
            propose=_propose_item_move,
            input_serializer=serializers.ItemMoveInput,
            on_decided=reviewer_reward(PointRule.COMMITTEE_CASE_REVIEW),
            on_applied=on_item_move_applied,
            counts_for_pass_rate=False,
        )
    )
