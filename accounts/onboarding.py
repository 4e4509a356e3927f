"""A new CSR's first day (DOMAIN.md §6 "New users"): the getting-started guide, the sandbox and
the tour checklist on the home page.

- ``getting_started()`` reads everything the guide shows from the data that decides it: the
  Level and LevelRequirement rows (tasks and rights of each level), the active PointRule rows
  and the settings rows (ReviewSettings, PromotionSettings). Nothing here restates an amount;
  an admin's edit of a rule shows on the guide at once. Those apps contribute their parts
  (register_guide_part, from points/, promotion/ and review/onboarding.py): accounts imports
  none of them.
- ``sandbox_try()`` lets the employee practise on a simulated 口径 and a simulated case. The
  input goes through the REAL proposal forms of knowledgebase/casebase (RevisionProposalForm,
  TextRevisionForm, TextCaseForm: the same field rules and tree validation), the real
  participants check, and the preview is the real diff/summary the review committee sees
  (knowledgebase.selectors.payload_diff_html, the case kinds' registered render_diff). Those
  apps register each kind of practice (register_sandbox_kind, from knowledgebase/ and
  casebase/onboarding.py). It never calls a propose service: no proposal, entry, case,
  points or notification row is written — the only write is the employee's own
  OnboardingProgress step.
- ``onboarding_step_done()`` records a step for the employee passed in; views and the API
  pass ``request.user`` and take no employee from the input, so nobody can tick someone
  else's tour.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from accounts.models import OnboardingProgress
from config.errors import AppError, ConflictError, ValidationFailedError, form_error

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

# What the guide shows comes from the apps that own the data, each registering a part from
# its AppConfig.ready(): points (points/onboarding.py: the rules and their amounts, the points
# settings), promotion (promotion/onboarding.py: each level's tasks, retention and rights)
# and review (review/onboarding.py: the committee settings). A part returns template
# context keys of its own; the order of the parts does not matter.
_guide_parts: dict[str, Callable[[], dict[str, Any]]] = {}


def register_guide_part(name: str, read: Callable[[], dict[str, Any]]) -> None:
    """Add a part of the getting-started guide (registering the same part twice is harmless,
    another one under a taken name is an error)."""
    if _guide_parts.get(name, read) is not read:
        raise ValueError(f"guide part {name!r} is already registered")
    _guide_parts[name] = read


def getting_started() -> dict[str, Any]:
    """Everything the guide shows, read from the rule data (see the module docstring)."""
    context: dict[str, Any] = {}
    for name in sorted(_guide_parts):
        part = _guide_parts[name]()
        taken = context.keys() & part.keys()
        if taken:
            raise ValueError(f"guide part {name!r} repeats {sorted(taken)}")
        context.update(part)
    return context


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
        "      客服: 查到是视频会员自动续费。 | 出发点: 讲清原因 | 结果: 退订并退费 "
        "| 最终状态: 满意\n"
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


@dataclass(frozen=True)
class SandboxKind:
    """A kind of practice, registered by the app that owns the real proposal kind from its
    AppConfig.ready(): knowledgebase (knowledgebase/onboarding.py: SANDBOX_KB) and casebase
    (casebase/onboarding.py: SANDBOX_CASE_REVISION, SANDBOX_CASE_NEW)."""

    code: str  # a key of SANDBOX_KINDS
    # data or None -> the real proposal form, pre-filled with the simulated content
    form: Callable[..., Any]
    # (cleaned data, user) -> the preview reviewers would see; raises AppError to refuse
    preview: Callable[[dict, Any], SafeString]
    # -> the points range a real proposal of the kind is paid in ("" without its rule)
    points_range: Callable[[], str]
    # -> approvals a real proposal needs
    approvals_required: Callable[[], int]
    # -> what the sandbox page shows beside the form
    page_context: Callable[[], dict] = dict


_sandbox_kinds: dict[str, SandboxKind] = {}


def register_sandbox_kind(kind: SandboxKind) -> None:
    """Add a kind of practice (registering the same one twice is harmless, another one under
    a taken code is an error)."""
    if kind.code not in SANDBOX_KINDS:
        raise ValueError(f"{kind.code!r} is not a sandbox kind")
    if _sandbox_kinds.get(kind.code, kind) != kind:
        raise ValueError(f"sandbox kind {kind.code!r} is already registered")
    _sandbox_kinds[kind.code] = kind


def _sandbox_kind(kind: str) -> SandboxKind:
    if kind not in _sandbox_kinds:
        raise ValidationFailedError(_("Choose what to practise."), field="kind")
    return _sandbox_kinds[kind]


def sandbox_form(kind: str, data=None):
    """The real proposal form of ``kind`` (bound to ``data`` when given), pre-filled with
    the simulated content. Raises ValidationFailedError for an unknown kind."""
    return _sandbox_kind(kind).form(data)


def sandbox_page_context(kind: str) -> dict:
    """What the sandbox page of ``kind`` shows beside the form."""
    return _sandbox_kind(kind).page_context()


def refuse_unchanged(payload: dict, before: dict) -> None:
    if payload == before:
        # The real services' message (same msgid), so the practice answers like the real thing.
        raise ValidationFailedError(_("The proposal changes nothing."))


def refuse_outdated(base_version: int) -> None:
    if base_version != SIMULATED_VERSION:
        # The real revision's message (knowledgebase.services.outdated_message, same msgid).
        raise ConflictError(
            _(
                "This entry has changed since you started (it is now version %(version)s). "
                "Rebase your proposal on the current version."
            )
            % {"version": SIMULATED_VERSION}
        )


def sandbox_try(*, user, kind: str, data) -> SandboxAttempt:
    """Validate a practice proposal of ``kind`` with the real form and checks and, when it
    passes, build the preview reviewers would see and record the tour step for ``user``.
    Refusals are on the returned form (field or non-field errors), never raised — except an
    unknown ``kind`` (ValidationFailedError). Writes nothing but ``user``'s own step."""
    sandbox = _sandbox_kind(kind)
    form = sandbox.form(data)
    points_range = sandbox.points_range()
    attempt = SandboxAttempt(
        kind=kind,
        form=form,
        approvals_required=sandbox.approvals_required(),
        points_range=points_range,
    )
    if not form.is_valid():
        return attempt
    try:
        attempt.preview = sandbox.preview(form.cleaned_data, user)
    except AppError as exc:
        form_error(form, exc)
        return attempt
    attempt.tour = onboarding_step_done(user=user, step=SANDBOX_KINDS[kind])
    return attempt


def sandbox_errors(form) -> dict[str, list[str]]:
    """The form's messages in the API's field shape ("__all__" becomes non_field_errors)."""
    return {name: [str(m) for m in msgs] for name, msgs in form.errors.items()}
