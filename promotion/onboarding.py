"""promotion's part of the getting-started guide (accounts.onboarding): each level with what
promotion to it asks, what keeping it asks and what it allows, read from Level,
LevelRequirement and the settings rows. Registered from PromotionConfig.ready()."""

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.onboarding import register_guide_part
from promotion.models import Level, PromotionSettings
from review.models import ReviewSettings


@dataclass
class LevelLine:
    number: int
    title: str
    badge_colour: str
    badge_text_colour: str
    requirement: Any  # LevelRequirement | None (none for level 0)
    tasks: list[str] = field(default_factory=list)
    retention: list[str] = field(default_factory=list)
    rights: list[str] = field(default_factory=list)


def _english() -> bool:
    return (get_language() or "").startswith("en")


def level_lines() -> list[LevelLine]:
    """Each level with what promotion to it asks (tasks), what keeping it asks (retention)
    and what it allows (rights), from Level, LevelRequirement and the settings rows (one
    query plus the cached settings)."""
    review = ReviewSettings.current()
    promotion = PromotionSettings.current()
    out = []
    for level in Level.objects.select_related("requirement").order_by("number"):
        requirement = getattr(level, "requirement", None) if level.number else None
        line = LevelLine(
            number=level.number,
            title=level.title_en if _english() and level.title_en else level.title,
            badge_colour=level.badge_colour,
            badge_text_colour=level.badge_text_colour(),
            requirement=requirement,
        )
        if level.number == 0:
            line.tasks.append(
                _("Every new CSR starts here: log in with your staff ID and take this tour.")
            )
        elif requirement is not None:
            r = requirement
            if r.training_cases_required is None:
                line.tasks.append(
                    _("Study all level-%(level)s training cases.") % {"level": level.number}
                )
            elif r.training_cases_required:
                line.tasks.append(
                    _("Study %(count)s level-%(level)s training cases.")
                    % {"count": r.training_cases_required, "level": level.number}
                )
            line.tasks.append(
                _("Earn %(points)s points since your last level change.")
                % {"points": r.points_threshold}
            )
            line.tasks.append(
                _(
                    "Pass the exam: %(count)s test cases drawn at random, pass mark %(percent)s%%, "
                    "%(minutes)s minutes."
                )
                % {
                    "count": r.exam_case_count,
                    "percent": r.exam_pass_percent,
                    "minutes": r.exam_time_limit_minutes,
                }
            )
            if r.query_time_required:
                line.tasks.append(_("Have a query-time test result that allows this level."))
            if r.apprentices_required:
                line.tasks.append(
                    _("Bring %(count)s apprentices from level %(from)s to level %(to)s.")
                    % {
                        "count": r.apprentices_required,
                        "from": r.apprentice_from_level,
                        "to": (r.apprentice_from_level or 0) + 1,
                    }
                )
            line.retention.append(
                _("Within %(days)s days: earn %(points)s points.")
                % {"days": r.retention_days, "points": r.retention_points}
            )
            if r.retention_apprentices:
                line.retention.append(
                    _("Within %(days)s days: bring %(count)s apprentice(s) up one level.")
                    % {"days": r.retention_days, "count": r.retention_apprentices}
                )
            line.retention.append(
                _(
                    "Pass the re-test (exam and query time) after %(days)s days; "
                    "%(attempts)s attempts."
                )
                % {"days": r.retest_opens_after_days, "attempts": r.retest_attempts}
            )
        line.rights.extend(level.privilege_lines())
        if level.can_mentor:
            line.rights.append(
                _("May take up to %(count)s apprentices at a time.")
                % {"count": promotion.max_active_apprentices}
            )
        if review.level_may_apply(level.number):
            line.rights.append(
                _(
                    "May apply to the review committee (pass rate on own proposals above "
                    "%(rate)s%%)."
                )
                % {"rate": review.applicant_min_pass_rate.normalize()}
            )
        out.append(line)
    return out


def guide_part() -> dict[str, Any]:
    return {"levels": level_lines(), "promotion": PromotionSettings.current()}


def register() -> None:
    register_guide_part("promotion", guide_part)
