"""Proposal kinds: what each kind of proposal means is defined by the app that owns it.

An owning app registers its kinds from its AppConfig.ready() (knowledgebase registers
"kb_revision" and "kb_new_entry"; casebase "case_new", "case_revision" and "quality_case";
review itself "committee_application"):

    register(ProposalKind(code="kb_revision", label=_("Knowledge-base revision"),
                          apply=..., current_version=..., render_diff=..., ...))

The review engine calls these hooks; it never imports the owning app's models, and it pays
nobody: rewards are the owning app's policy (on_applied for the proposer, on_decided for the
members whose votes the decision followed).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise

from config.errors import ConflictError


class StaleBaseVersion(ConflictError):
    """Raised by an applier when the target changed since the proposal's base version (the
    engine catches it and marks the proposal stale; it never reaches a user)."""

    default_code = "stale_base_version"


def describe_by_title(proposal) -> str:
    """``payload["title"]``, with the base version ("套餐变更口径 (v3)") for proposals that
    change an existing target."""
    title = proposal.payload.get("title", "")
    return f"{title} (v{proposal.base_version})" if proposal.base_version else title


@dataclass(frozen=True)
class Reward:
    """Points a kind's hooks paid for one decision, for its notification: to whom, how many,
    why (a msgid, translated when the notification is read) and a key that is unique to the
    payment (so a notification is never sent twice)."""

    employee_id: int
    amount: int
    reason: str
    key: str


@dataclass(frozen=True)
class ProposalKind:
    code: str
    label: str | Promise
    # Applies the payload (inside the engine's transaction, target row locked by the applier)
    # and returns the target's new version. Raises StaleBaseVersion when the target moved on.
    apply: Callable[[Any], int]
    # The target's current version, or None for kinds without a target (new items).
    current_version: Callable[[Any], int | None]
    # HTML (already escaped) showing the change against the target's current version.
    render_diff: Callable[[Any], str]
    # Short human label of the target ("套餐变更口径 (v3)") for lists.
    describe: Callable[[Any], str] = describe_by_title
    # URL where the proposer re-creates a stale proposal on the current version, or None.
    rebase_url: Callable[[Any], str | None] = lambda proposal: None
    # Creates a proposal from validated API data: propose(proposer=user, **data) -> Proposal.
    propose: Callable[..., Any] | None = None
    # DRF serializer class validating the API input of ``propose``.
    input_serializer: type | None = None
    # Optional Django form class with extra fields an APPROVING committee member fills in
    # (e.g. the level and set of a new case, the points for the proposer). It is built as
    # ``vote_form(data=..., proposal=proposal)`` (subclass review.forms.ApprovalForm). The
    # engine validates the vote's ``extra`` data with it (VoteExtraInvalid with the field
    # messages), keeps the cleaned data on the Vote row (Vote.extra) and in the vote's
    # ReviewEvent (data["extra"]); appliers read them back with review.selectors.approvals().
    vote_form: type | None = None
    # Hooks of the owning app, called by the engine INSIDE its transaction (the proposal row
    # is locked), so what they write commits or rolls back with the decision. Rewards live
    # here, never in the engine: the owning app pays through points.services.
    # on_voted(proposal, vote_event): after every vote (approve or reject) was recorded. Not
    # for rewards: a vote is paid only once the committee decided the way it went (on_decided).
    on_voted: Callable[[Any, Any], None] | None = None
    # on_applied(proposal, approvals): after the proposal was applied; ``approvals`` are its
    # approving Vote rows in voting order, each with its validated ``extra`` data.
    on_applied: Callable[[Any, list], None] | None = None
    # on_closed(proposal): after the proposal left "open" without being applied (rejected,
    # withdrawn or stale); proposal.status tells which.
    on_closed: Callable[[Any], None] | None = None
    # on_viewed(proposal, user): the proposal's content (render_diff) was shown to ``user`` on
    # its detail page — for kinds whose content must not be examined later (a case that
    # becomes a test case: casebase records the exposure so no exam draws it for ``user``).
    on_viewed: Callable[[Any, Any], None] | None = None
    # rewards(proposal): what the hooks above paid for this decision, as Reward rows, read
    # by the decision's notifications (one "points received" notification each). The owning
    # app says where its rewards are (points.services.proposal_rewards); None: it pays none.
    rewards: Callable[[Any], list["Reward"]] | None = None
    # on_decided(proposal, votes): after the committee decided the proposal, with the votes
    # the decision followed, in voting order — applied: the approvals (after on_applied);
    # rejected by the rejection threshold: the rejections. Never called for a proposal
    # withdrawn by its proposer or gone stale (nobody's judgement was followed). The
    # reviewers' rewards live here (points.services.reviewer_reward), in the same
    # transaction as the decision.
    on_decided: Callable[[Any, list], None] | None = None
    # Whether the proposer's decided proposals of this kind count in their revision pass rate
    # (committee eligibility: "KB revisions and case creations/revisions"). Applications
    # (quality-case review, committee membership) do not.
    counts_for_pass_rate: bool = True
    # The category tree whose review experts decide this kind ("knowledgebase.Category",
    # "casebase.CaseCategory"), or None: any committee member decides. The proposal's
    # category is its target's current category, else the payload's "category_id" (a new
    # item): see category_of. Stored on the proposal when it is created.
    category_model: str | None = None


def category_of(kind: ProposalKind, proposal) -> tuple[type, int] | None:
    """(category model, category pk) of ``proposal`` for the expert rule, or None when the
    kind names no category tree or the proposal has no category.

    The TARGET's current category when the proposal changes an existing item (a revision
    that moves an entry to another category is still decided by the experts of the category
    the entry is in — moving content into a category with few experts must not escape its
    current experts), else the payload's "category_id" (a new entry or case)."""
    if not kind.category_model:
        return None
    from django.apps import apps

    model = apps.get_model(kind.category_model)
    category_id = None
    if proposal.target_type_id and proposal.target_id:
        from django.contrib.contenttypes.models import ContentType

        target_model = ContentType.objects.get_for_id(proposal.target_type_id).model_class()
        if target_model is not None and any(
            f.name == "category" for f in target_model._meta.fields
        ):
            category_id = (
                target_model._base_manager.filter(pk=proposal.target_id)
                .values_list("category_id", flat=True)
                .first()
            )
    if category_id is None:
        category_id = (proposal.payload or {}).get("category_id")
    if not isinstance(category_id, int) or isinstance(category_id, bool):
        return None
    return model, category_id


_KINDS: dict[str, ProposalKind] = {}


def register(kind: ProposalKind) -> None:
    _KINDS[kind.code] = kind


def get_kind(code: str) -> ProposalKind:
    """The registered kind; KeyError for an unknown code."""
    return _KINDS[code]


def kinds() -> dict[str, ProposalKind]:
    return dict(_KINDS)


def pass_rate_kinds() -> list[str]:
    """Codes of the registered kinds that count in a proposer's pass rate."""
    return sorted(code for code, kind in _KINDS.items() if kind.counts_for_pass_rate)
