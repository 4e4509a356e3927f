"""casebase's part of the sandbox (accounts.onboarding): practising a revision of the
simulated case, or a small case of one's own, with the REAL TextRevisionForm / TextCaseForm
(the same field rules and tree validation) and the real participants check, previewed with
the summary the review committee sees (the case kinds' registered render_diff). Nothing is
written. Registered from CasebaseConfig.ready()."""

from typing import Any

from django.utils.safestring import SafeString

from accounts.onboarding import (
    SANDBOX_CASE_NEW,
    SANDBOX_CASE_REVISION,
    SIMULATED_CASE,
    SIMULATED_VERSION,
    SandboxKind,
    SandboxProposal,
    refuse_outdated,
    refuse_unchanged,
    register_sandbox_kind,
)
from casebase.forms import TextCaseForm, TextRevisionForm
from casebase.models import CaseCategory
from casebase.services.proposals import participants_resolve
from casebase.tree import parse_tree_text
from points.models import PointRule
from review import registry
from review.models import ReviewSettings


def _case_category():
    return CaseCategory.objects.get_tree().first()


def simulated_case_payload(category_id: int | None) -> dict:
    """The simulated case in proposal-payload form (as casebase.services.content.case_payload gives
    for a real case), its tree validated by the real rules."""
    return {
        "case_kind": "text",
        "title": SIMULATED_CASE["title"],
        "category_id": category_id,
        "background": SIMULATED_CASE["background"],
        "tree": parse_tree_text(SIMULATED_CASE["tree"]),
    }


def revision_form(data=None):
    """The real revision form, pre-filled with the simulated case."""
    category = _case_category()
    initial = {
        "base_version": SIMULATED_VERSION,
        "title": SIMULATED_CASE["title"],
        "category": category.pk if category else None,
        "background": SIMULATED_CASE["background"],
        "tree": SIMULATED_CASE["tree"],
    }
    return TextRevisionForm(data, initial=initial)


def new_case_form(data=None):
    """The real new-case form, with a tree skeleton."""
    return TextCaseForm(
        data, initial={"tree": "客户: \n  客服: | 出发点:  | 结果:  | 最终状态: \n"}
    )


def _preview(kind: str, data: dict, user) -> SafeString:
    participants = participants_resolve(proposer=user, staff_ids=data["participants"])
    payload: dict[str, Any] = {
        "case_kind": "text",
        "title": data["title"],
        "category_id": data["category"].pk,
        "background": (data["background"] or "").strip(),
        "tree": data["tree"],
    }
    if kind == SANDBOX_CASE_REVISION:
        refuse_outdated(data["base_version"])
        category = _case_category()
        before = simulated_case_payload(category.pk if category else None)
        refuse_unchanged(payload, before)
        payload["before"] = before
    else:
        payload["suggested_level"] = data["suggested_level"]
    payload["participants"] = participants
    # The summary the review page shows for this kind (casebase.review_kinds.render_summary).
    return SafeString(
        registry.get_kind(kind).render_diff(SandboxProposal(kind=kind, payload=payload))
    )


def revision_preview(data: dict, user) -> SafeString:
    return _preview(SANDBOX_CASE_REVISION, data, user)


def new_case_preview(data: dict, user) -> SafeString:
    return _preview(SANDBOX_CASE_NEW, data, user)


def _points_range(code: str) -> str:
    rule = PointRule.objects.filter(code=code).first()
    return rule.range_display() if rule else ""


def revision_points_range() -> str:
    return _points_range(PointRule.CASE_REVISED)


def new_case_points_range() -> str:
    return _points_range(PointRule.CASE_CREATED)


def approvals_required() -> int:
    return ReviewSettings.current().approvals_required


def register() -> None:
    register_sandbox_kind(
        SandboxKind(
            code=SANDBOX_CASE_REVISION,
            form=revision_form,
            preview=revision_preview,
            points_range=revision_points_range,
            approvals_required=approvals_required,
        )
    )
    register_sandbox_kind(
        SandboxKind(
            code=SANDBOX_CASE_NEW,
            form=new_case_form,
            preview=new_case_preview,
            points_range=new_case_points_range,
            approvals_required=approvals_required,
        )
    )
