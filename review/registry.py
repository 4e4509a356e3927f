"""Proposal kinds: what each kind of proposal means is defined by the app that owns it.

An owning app registers its kinds from its AppConfig.ready() (knowledgebase registers
"kb_revision" and "kb_new_entry"; casebase will register its case kinds the same way):

    register(ProposalKind(code="kb_revision", label=_("Knowledge-base revision"),
                          apply=..., current_version=..., render_diff=..., ...))

The review engine calls these hooks; it never imports the owning app's models.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise


class StaleBaseVersion(Exception):
    """Raised by an applier when the target changed since the proposal's base version."""


def describe_by_title(proposal) -> str:
    """``payload["title"]``, with the base version ("套餐变更口径 (v3)") for proposals that
    change an existing target."""
    title = proposal.payload.get("title", "")
    return f"{title} (v{proposal.base_version})" if proposal.base_version else title


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
    # (e.g. the level and training/test set of a new case). The engine validates the vote's
    # ``extra`` data with it and keeps the cleaned data in the vote's ReviewEvent
    # (data["extra"]); appliers read them back with review.selectors.approval_extras().
    vote_form: type | None = None
    # Optional initial values of the vote_form for one proposal (e.g. the suggested level and
    # the set that level is short of); the proposal page passes them as the form's ``initial``.
    vote_form_initial: Callable[[Any], dict] | None = None
    # Point rules (points.PointRule codes) paid by review.services._points_for_decision:
    # to the proposer when a proposal of this kind is applied, and to each member per vote.
    proposer_points_rule: str | None = None
    reviewer_points_rule: str | None = None
    # Quality-case rules: when a proposal of this kind is applied, every participant (the
    # proposer plus the user pks in payload["participants"]) earns the outstanding rule if a
    # majority of the approving votes flagged extra["outstanding"], else the participant rule.
    # None (e.g. KB kinds) pays no quality-case points.
    participant_points_rule: str | None = None
    outstanding_points_rule: str | None = None


_KINDS: dict[str, ProposalKind] = {}


def register(kind: ProposalKind) -> None:
    _KINDS[kind.code] = kind


def get_kind(code: str) -> ProposalKind:
    """The registered kind; KeyError for an unknown code."""
    return _KINDS[code]


def kinds() -> dict[str, ProposalKind]:
    return dict(_KINDS)
