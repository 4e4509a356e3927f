"""A new CSR's first day (DOMAIN.md §6 "New users"): the getting-started guide, the sandbox and
the tour checklist on the home page.

- ``getting_started()`` reads everything the guide shows from the data that decides it: the
  Level and LevelRequirement rows (tasks and rights of each level), the active PointRule rows
  and the settings rows (ReviewSettings, PromotionSettings). Nothing here restates an amount;
  an admin's edit of a rule shows on the guide at once.
- ``sandbox_try()`` lets the employee practise on a simulated 口径 and a simulated case. The
  input goes through the REAL proposal forms of knowledgebase/casebase (RevisionProposalForm,
  TextRevisionForm, TextCaseForm: the same field rules and tree validation), the real
  participants check, and the preview is the real diff/summary the review committee sees
  (knowledgebase.selectors.payload_diff_html, the case kinds' registered render_diff). It
  never calls a propose service: no proposal, entry, case, points or notification row is
  written — the only write is the employee's own OnboardingProgress step.
- ``onboarding_step_done()`` records a step for the employee passed in; views and the API
  pass ``request.user`` and take no employee from the input, so nobody can tick someone
  else's tour.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext_lazy, gettext_noop
from django.utils.translation import gettext as _

from accounts.models import OnboardingProgress
from config.errors import AppError, ValidationFailedError, form_error

# --- the tour ------------------------------------------------------------------------------

STEP_READ = "read_guide"
STEP_KB = "practised_kb"
STEP_CASE = "practised_case"


@dataclass(frozen=True)
class Step:
    code: str
    label: Any
    field: str  # the OnboardingProgress column holding when it was done
    url_name: str


STEPS: list[Step] = [
    Step(
        STEP_READ,
        gettext_lazy("Read “Getting started”"),
        "read_guide_at",
        "accounts:getting_started",
    ),
    Step(
        STEP_KB,
        gettext_lazy("Practise a knowledge-base revision in the sandbox"),
        "practised_kb_at",
        "accounts:sandbox_kb",
    ),
    Step(
        STEP_CASE,
        gettext_lazy("Practise a case in the sandbox"),
        "practised_case_at",
        "accounts:sandbox_case",
    ),
]
STEP_BY_CODE = {step.code: step for step in STEPS}

# Who sees the checklist on the home page: employees who study, still at level 0 (every new
# CSR starts there, DOMAIN §6), until the tour is completed. Colleagues already on the ladder
# are not new; they can still open the guide and the sandbox from the navigation.
TOUR_LEVEL = 0


@dataclass
class StepState:
    code: str
    label: Any
    url: str
    done: bool
    done_at: Any = None


@dataclass
class TourState:
    steps: list[StepState]
    completed_at: Any = None

    @property
    def completed(self) -> bool:
        return self.completed_at is not None

    @property
    def done_count(self) -> int:
        return sum(1 for s in self.steps if s.done)


def tour_state(user, progress: OnboardingProgress | None = None) -> TourState:
    """The tour of ``user`` step by step (one query; none when ``progress`` is given)."""
    if progress is None:
        progress = OnboardingProgress.objects.filter(user=user).first()
    steps = []
    for step in STEPS:
        done_at = getattr(progress, step.field) if progress is not None else None
        steps.append(
            StepState(step.code, step.label, reverse(step.url_name), done_at is not None, done_at)
        )
    return TourState(
        steps=steps, completed_at=progress.completed_at if progress is not None else None
    )


def tour_checklist_for_home(user, *, can_study: bool) -> TourState | None:
    """The checklist the home page shows, or None when it is hidden (cannot study, not at
    level 0, or tour completed). At most one query, whatever the data."""
    if not can_study or user.level != TOUR_LEVEL:
        return None
    state = tour_state(user)
    return None if state.completed else state


@transaction.atomic
def onboarding_step_done(*, user, step: str) -> TourState:
    """Record that ``user`` did ``step`` (the first time counts; repeating is harmless) and
    set completed_at when every step is done. Raises ValidationFailedError for an unknown
    step. The only writer of OnboardingProgress."""
    if step not in STEP_BY_CODE:
        raise ValidationFailedError(_("Unknown step of the tour."), field="step")
    now = timezone.now()
    progress, _created = OnboardingProgress.objects.select_for_update().get_or_create(user=user)
    column = STEP_BY_CODE[step].field
    changed = []
    if getattr(progress, column) is None:
        setattr(progress, column, now)
        changed.append(column)
    if progress.completed_at is None and all(getattr(progress, s.field) is not None for s in STEPS):
        progress.completed_at = now
        changed.append("completed_at")
    if changed:
        progress.save(update_fields=changed)
    return tour_state(user, progress)


# --- the getting-started guide --------------------------------------------------------------

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


def point_rule_lines() -> list[RuleLine]:
    """Every active rule that pays for something an employee does, with its current amount
    or range (one query)."""
    from points.models import PointRule

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


def level_lines() -> list[LevelLine]:
    """Each level with what promotion to it asks (tasks), what keeping it asks (retention)
    and what it allows (rights), from Level, LevelRequirement and the settings rows (one
    query plus the cached settings)."""
    from promotion.models import Level, PromotionSettings
    from review.models import ReviewSettings

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
                    "May apply to the review committee (pass rate on own proposals above %(rate)s%%)."
                )
                % {"rate": review.applicant_min_pass_rate.normalize()}
            )
        out.append(line)
    return out


def getting_started() -> dict[str, Any]:
    """Everything the guide shows, read from the rule data (see the module docstring)."""
    from points.models import PointRule, PointsSettings
    from promotion.models import PromotionSettings
    from review.models import ReviewSettings

    rules = point_rule_lines()
    by_code = {line.code: line for line in rules}
    return {
        "levels": level_lines(),
        "rules": rules,
        "review": ReviewSettings.current(),
        "points_settings": PointsSettings.current(),
        "promotion": PromotionSettings.current(),
        "kb_rule": by_code.get(PointRule.KB_REVISION_ACCEPTED),
        "case_created_rule": by_code.get(PointRule.CASE_CREATED),
        "case_revised_rule": by_code.get(PointRule.CASE_REVISED),
        "quality_participant_rule": by_code.get(PointRule.QUALITY_CASE_PARTICIPANT),
        "quality_outstanding_rule": by_code.get(PointRule.QUALITY_CASE_OUTSTANDING),
    }


# --- the sandbox ------------------------------------------------------------------------------

SANDBOX_KB = "kb_revision"
SANDBOX_CASE_REVISION = "case_revision"
SANDBOX_CASE_NEW = "case_new"
SANDBOX_KINDS = {SANDBOX_KB: STEP_KB, SANDBOX_CASE_REVISION: STEP_CASE, SANDBOX_CASE_NEW: STEP_CASE}
SANDBOX_LABELS = {
    SANDBOX_KB: gettext_noop("Revise the simulated knowledge-base entry"),
    SANDBOX_CASE_REVISION: gettext_noop("Revise the simulated case"),
    SANDBOX_CASE_NEW: gettext_noop("Build a small case of your own"),
}

# The simulated 口径 and case: content, like the real libraries (Chinese). They live only
# here and in the sandbox pages; they are never rows of the entry or case tables.
SIMULATED_VERSION = 1
SIMULATED_ENTRY = {
    "title": "【练习】流量包退订口径",
    "keywords": "流量包 退订 取消",
    "body": (
        "客户要求退订流量包时：\n"
        "1. 核实客户身份。\n"
        "2. 告知客户流量包次月生效退订。\n"
        "3. 办理退订并提醒客户查看短信。"
    ),
}
SIMULATED_CASE = {
    "title": "【练习】话费多扣的客户",
    "background": "客户发现本月话费比平时多了50元，来电情绪激动。",
    "tree": (
        "客户: 我的话费怎么多扣了50元？ | 情绪: 愤怒 | 想法: 觉得被乱扣费\n"
        "  客服*: 非常理解您的心情，我马上帮您查。 | 出发点: 先安抚情绪; 表明立即行动\n"
        "    客户: 好吧，你查吧。 | 情绪: 稍缓和\n"
        "      客服: 查到是视频会员自动续费。 | 出发点: 讲清原因 | 结果: 退订并退费 | 最终状态: 满意\n"
        "  客服: 系统扣费不会错的。 | 出发点: 维护公司 | 结果: 客户投诉升级 | 最终状态: 更愤怒\n"
    ),
}


@dataclass
class SandboxProposal:
    """What the review pages render a proposal from (kind, payload, pk), without a row: it
    has no save(), so the sandbox cannot store it by mistake. pk 0 is no proposal's id."""

    kind: str
    payload: dict
    pk: int = 0
    base_version: int | None = None
    target_id: int | None = None
    status: str = "open"


@dataclass
class SandboxAttempt:
    kind: str
    form: Any
    preview: SafeString | None = None  # the diff/summary as reviewers see it; None when refused
    approvals_required: int = 0
    points_range: str = ""
    tour: TourState | None = None

    @property
    def valid(self) -> bool:
        return self.preview is not None


def _kb_category():
    from knowledgebase.models import Category

    return Category.objects.get_first_root_node()


def _case_category():
    from casebase.models import CaseCategory

    return CaseCategory.objects.get_tree().first()


def simulated_entry():
    """The simulated 口径 as an UNSAVED Entry (the diff functions take an entry), in the first
    category of the real tree (an unsaved placeholder category when there is none)."""
    from knowledgebase.models import Category, Entry

    category = _kb_category() or Category(name="—")
    return Entry(category=category, version=SIMULATED_VERSION, **SIMULATED_ENTRY)


def simulated_case_payload(category_id: int | None) -> dict:
    """The simulated case in proposal-payload form (as
    casebase.services.content.case_payload gives for a real case), its tree validated by the
    real rules."""
    from casebase.tree import parse_tree_text

    return {
        "case_kind": "text",
        "title": SIMULATED_CASE["title"],
        "category_id": category_id,
        "background": SIMULATED_CASE["background"],
        "tree": parse_tree_text(SIMULATED_CASE["tree"]),
    }


def sandbox_form(kind: str, data=None):
    """The real proposal form of ``kind`` (bound to ``data`` when given), pre-filled with
    the simulated content. Raises ValidationFailedError for an unknown kind."""
    from casebase.forms import TextCaseForm, TextRevisionForm
    from knowledgebase.forms import RevisionProposalForm

    if kind == SANDBOX_KB:
        entry = simulated_entry()
        initial = {
            "category": entry.category.pk,
            "title": entry.title,
            "keywords": entry.keywords,
            "body": entry.body,
            "base_version": SIMULATED_VERSION,
        }
        return RevisionProposalForm(data, initial=initial)
    if kind == SANDBOX_CASE_REVISION:
        category = _case_category()
        initial = {
            "base_version": SIMULATED_VERSION,
            "title": SIMULATED_CASE["title"],
            "category": category.pk if category else None,
            "background": SIMULATED_CASE["background"],
            "tree": SIMULATED_CASE["tree"],
        }
        return TextRevisionForm(data, initial=initial)
    if kind == SANDBOX_CASE_NEW:
        return TextCaseForm(
            data, initial={"tree": "客户: \n  客服: | 出发点:  | 结果:  | 最终状态: \n"}
        )
    raise ValidationFailedError(_("Choose what to practise."), field="kind")


def _refuse_unchanged(payload: dict, before: dict) -> None:
    if payload == before:
        # The real services' message (same msgid), so the practice answers like the real thing.
        raise ValidationFailedError(_("The proposal changes nothing."))


def _refuse_outdated(base_version: int) -> None:
    from review.services import OutdatedBaseVersion

    if base_version != SIMULATED_VERSION:
        from knowledgebase.services import outdated_message

        raise OutdatedBaseVersion(outdated_message(SIMULATED_VERSION))


def _kb_preview(data: dict) -> SafeString:
    from knowledgebase.selectors import payload_diff_html
    from knowledgebase.services import entry_payload

    entry = simulated_entry()
    _refuse_outdated(data["base_version"])
    payload = {
        "title": data["title"],
        "body": data["body"],
        "keywords": " ".join((data["keywords"] or "").split()),
        "category_id": data["category"],
    }
    before = {**entry_payload(entry), "category_id": entry.category.pk}
    _refuse_unchanged(payload, before)
    # What the review page shows for an open revision (knowledgebase.selectors.proposal_diff_html).
    return payload_diff_html(entry=entry, payload=payload)


def _case_preview(kind: str, data: dict, user) -> SafeString:
    from casebase.services.proposals import participants_resolve
    from review import registry

    participants = participants_resolve(proposer=user, staff_ids=data["participants"])
    payload: dict[str, Any] = {
        "case_kind": "text",
        "title": data["title"],
        "category_id": data["category"].pk,
        "background": (data["background"] or "").strip(),
        "tree": data["tree"],
    }
    if kind == SANDBOX_CASE_REVISION:
        _refuse_outdated(data["base_version"])
        category = _case_category()
        before = simulated_case_payload(category.pk if category else None)
        _refuse_unchanged(payload, before)
        payload["before"] = before
    else:
        payload["suggested_level"] = data["suggested_level"]
    payload["participants"] = participants
    # The summary the review page shows for this kind (casebase.review_kinds.render_summary).
    return SafeString(
        registry.get_kind(kind).render_diff(SandboxProposal(kind=kind, payload=payload))
    )


def sandbox_try(*, user, kind: str, data) -> SandboxAttempt:
    """Validate a practice proposal of ``kind`` with the real form and checks and, when it
    passes, build the preview reviewers would see and record the tour step for ``user``.
    Refusals are on the returned form (field or non-field errors), never raised — except an
    unknown ``kind`` (ValidationFailedError). Writes nothing but ``user``'s own step."""
    from points.models import PointRule
    from review.models import ReviewSettings

    form = sandbox_form(kind, data)
    rule_code = {
        SANDBOX_KB: PointRule.KB_REVISION_ACCEPTED,
        SANDBOX_CASE_REVISION: PointRule.CASE_REVISED,
        SANDBOX_CASE_NEW: PointRule.CASE_CREATED,
    }[kind]
    rule = PointRule.objects.filter(code=rule_code).first()
    attempt = SandboxAttempt(
        kind=kind,
        form=form,
        approvals_required=ReviewSettings.current().approvals_required,
        points_range=rule.range_display() if rule else "",
    )
    if not form.is_valid():
        return attempt
    try:
        attempt.preview = (
            _kb_preview(form.cleaned_data)
            if kind == SANDBOX_KB
            else _case_preview(kind, form.cleaned_data, user)
        )
    except AppError as exc:
        form_error(form, exc)
        return attempt
    attempt.tour = onboarding_step_done(user=user, step=SANDBOX_KINDS[kind])
    return attempt


def sandbox_errors(form) -> dict[str, list[str]]:
    """The form's messages in the API's field shape ("__all__" becomes non_field_errors)."""
    return {name: [str(m) for m in msgs] for name, msgs in form.errors.items()}
