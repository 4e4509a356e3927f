"""points' part of the getting-started guide (accounts.onboarding): every active rule that
pays for something an employee does, with its current amount or range, read from the
PointRule rows. Registered from PointsConfig.ready()."""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import get_language, gettext_lazy

from accounts.onboarding import register_guide_part
from points.models import PointRule, PointsSettings

# How each rule is earned, in words; the amounts come from the PointRule rows. A rule added
# by an admin without an entry here is still listed, with its name only.
RULE_HOW: dict[str, Any] = {
    "case_created": gettext_lazy(
        "Create a case; when the committee accepts it and grades it into the library, "
        "the approving members choose your points within the range."
    ),
    "case_revised": gettext_lazy(
        "Revise a case; when the committee accepts the revision, the approving members "
        "choose your points within the range."
    ),
    "quality_case_participant": gettext_lazy(
        "Apply for a quality-case review of a case you created or revised; "
        "when it passes, each participant in the case's edits gets these "
        "extra points."
    ),
    "quality_case_outstanding": gettext_lazy(
        "In a passed quality-case review, the one outstanding contributor "
        "named by the committee gets these points."
    ),
    "kb_revision_accepted": gettext_lazy(
        "Propose a revision of a knowledge-base entry (口径); when the committee "
        "approves it, the approving members choose your points within the range."
    ),
    "committee_kb_review": gettext_lazy(
        "As a committee member, review a knowledge-base revision (paid when the "
        "committee decides the way you voted)."
    ),
    "committee_case_review": gettext_lazy(
        "As a committee member, review a case proposal (paid when the committee "
        "decides the way you voted)."
    ),
    "mentor_level_up": gettext_lazy("As a mentor, bring an apprentice up one level."),
    "rationalisation_reasonable": gettext_lazy(
        "Submit a rationalisation proposal that a manager judges reasonable (first proposer)."
    ),
    "rationalisation_feasible": gettext_lazy(
        "Submit a rationalisation proposal that a manager judges feasible."
    ),
    "qc_topic_completed": gettext_lazy(
        "Complete a QC topic with a group of colleagues; each member is paid."
    ),
    "volunteer_sheet": gettext_lazy(
        "Volunteer work (e.g. canteen help), paid from the weekly sheet."
    ),
}
# Not a way to earn: managers' corrections of mistakes.
NOT_EARNED = {"manual_correction"}


@dataclass
class RuleLine:
    code: str
    name: str
    how: Any
    amount: str  # "20–50", "5" or "≤ 200"
    default: int | None
    chosen_by_reviewers: bool


def _english() -> bool:
    return (get_language() or "").startswith("en")


def point_rule_lines() -> list[RuleLine]:
    """Every active rule that pays for something an employee does, with its current amount
    or range (one query)."""
    lines = []
    for rule in (
        PointRule.objects.filter(active=True)
        .exclude(code__in=NOT_EARNED)
        .order_by("-max_amount", "code")
    ):
        name = rule.name_en if _english() and rule.name_en else rule.name
        lines.append(
            RuleLine(
                code=rule.code,
                name=name,
                how=RULE_HOW.get(rule.code, ""),
                amount=rule.range_display(),
                default=rule.default_amount,
                chosen_by_reviewers=rule.min_amount is not None
                and rule.min_amount != rule.max_amount,
            )
        )
    return lines


def guide_part() -> dict[str, Any]:
    rules = point_rule_lines()
    by_code = {line.code: line for line in rules}
    return {
        "rules": rules,
        "points_settings": PointsSettings.current(),
        "kb_rule": by_code.get(PointRule.KB_REVISION_ACCEPTED),
        "case_created_rule": by_code.get(PointRule.CASE_CREATED),
        "case_revised_rule": by_code.get(PointRule.CASE_REVISED),
        "quality_participant_rule": by_code.get(PointRule.QUALITY_CASE_PARTICIPANT),
        "quality_outstanding_rule": by_code.get(PointRule.QUALITY_CASE_OUTSTANDING),
    }


def register() -> None:
    register_guide_part("points", guide_part)
