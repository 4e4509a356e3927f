"""The CSR's home panel: one read (csr_dashboard) that gathers, from the owning apps'
selectors, what a CSR's day starts with — level and title, the next promotion's checklist
as a bar, the retention period when its re-test window is near, what to study next, recent
points and the open proposals. No rule is computed here a second time: the checklist is
promotion.selectors.promotion_checklist, the retention status promotion.selectors.
retention_status, the study scope casebase.selectors.study_list (training cases only),
the learning map curriculum.selectors.map_progress. A constant number of queries whatever
the employee's history (tests/accounts: test_dashboard_csr)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import get_language

from casebase.selectors import next_level, study_list
from curriculum import selectors as curriculum_selectors
from points.selectors import points_balance, points_history
from promotion import selectors as promotion_selectors
from promotion.models import Level, RetentionPeriod
from review.models import Proposal
from review.registry import kinds
from review.selectors import proposals_of

NEXT_CASES = 5  # training cases of the next level listed as "study next"
RECENT_POINTS = 5  # latest points entries shown
OPEN_PROPOSALS = 5  # open proposals shown
# Proposals still waiting on someone: the committee (open) or the proposer (outdated, rebase).
PENDING_STATES = (Proposal.Status.OPEN, Proposal.Status.STALE)
# Numeric checklist items: item code → (evidence key of the progress, evidence key of the need).
_NUMERIC = {
    "points": ("points", "needed"),
    "training_cases": ("studied", "needed"),
    "apprentices": ("apprentices", "needed"),
}


@dataclass
class ChecklistBar:
    """One checklist item with its share done (0–100) for a bar; exam and query time are
    all or nothing."""

    item: promotion_selectors.ChecklistItem
    percent: int


@dataclass
class CsrDashboard:
    level: Level | None
    next_level: Level | None
    bars: list[ChecklistBar]
    met: int
    total: int
    retention_period: RetentionPeriod | None  # the running period, near or not
    retention: promotion_selectors.RetentionStatus | None  # its status, only when near
    retention_near: bool
    next_cases: list
    more_cases: bool
    study_level: int
    next_course: curriculum_selectors.CourseProgress | None
    points: list
    balance: int
    proposals: list[dict] = field(default_factory=list)

    @property
    def percent(self) -> int:
        """Share of the next promotion's requirements met (0–100); 0 without a checklist."""
        return round(100 * self.met / self.total) if self.total else 0

    @property
    def all_met(self) -> bool:
        return bool(self.total) and self.met == self.total


def _percent(item: promotion_selectors.ChecklistItem) -> int:
    if item.met:
        return 100
    keys = _NUMERIC.get(item.code)
    if keys is None:
        return 0
    done, needed = (item.evidence.get(key) or 0 for key in keys)
    return min(100, round(100 * done / needed)) if needed else 100


def retention_near(period: RetentionPeriod, now: datetime | None = None) -> bool:
    """True when the period's re-test window is open or opens within the period's own
    reminder lead time (due_at − remind_at, snapshotted from reminder_days_before_due at
    promotion), so the CSR sees it coming as early as the due-date reminder would warn."""
    now = now or timezone.now()
    if not period.is_open:
        return False
    lead = period.due_at - period.remind_at
    return period.retest_window_open(now) or period.retest_opens_at - lead <= now <= period.due_at


def next_course(employee) -> curriculum_selectors.CourseProgress | None:
    """The first course of the employee's learning map, in map order, that is neither done
    nor locked behind an earlier stage (in progress, not started or newly added); None
    without a map or when everything open is done."""
    learning_map = curriculum_selectors.learning_map_for_employee(employee, cached=True)
    if learning_map is None:
        return None
    progress = curriculum_selectors.map_progress(employee=employee, learning_map=learning_map)
    for stage in progress.stages:
        for topic in stage.topics:
            for course in topic.courses:
                if course.state not in (curriculum_selectors.DONE, curriculum_selectors.LOCKED):
                    return course
    return None


def csr_dashboard(user, *, now: datetime | None = None) -> CsrDashboard:
    """Everything on the CSR's home panel, in a constant number of queries."""
    now = now or timezone.now()
    levels = promotion_selectors.levels()
    checklist = promotion_selectors.promotion_checklist(user)
    period = promotion_selectors.current_retention(user)
    near = bool(period) and retention_near(period, now)
    cases = list(study_list(user).filter(studied=False)[: NEXT_CASES + 1])
    registered = kinds()
    proposals = [
        {
            "proposal": proposal,
            "label": registered[proposal.kind].label
            if proposal.kind in registered
            else proposal.kind,
        }
        for proposal in proposals_of(proposer=user).filter(status__in=PENDING_STATES)[
            :OPEN_PROPOSALS
        ]
    ]
    return CsrDashboard(
        level=levels.get(user.level),
        next_level=levels.get(user.level + 1),
        bars=[ChecklistBar(item, _percent(item)) for item in checklist],
        met=sum(1 for item in checklist if item.met),
        total=len(checklist),
        retention_period=period,
        retention=promotion_selectors.retention_status(period, now) if near else None,
        retention_near=near,
        next_cases=cases[:NEXT_CASES],
        more_cases=len(cases) > NEXT_CASES,
        study_level=next_level(user),
        next_course=next_course(user),
        points=list(points_history(user)[:RECENT_POINTS]),
        balance=points_balance(user),
        proposals=proposals,
    )


# The panel costs ~10 ms of Python and 15 queries; the home page is the most visited page.
# It is cached per employee and language: a write by the employee themselves (any POST, PUT,
# PATCH or DELETE they make, see OwnWritesMiddleware) makes their copy stale at once, so what
# they just did shows on their next visit; what others do to their data (a vote on their
# proposal, points from a decision, a promotion by the daily job) shows within DASHBOARD_TTL.
DASHBOARD_TTL = 30  # seconds


def _writes_key(user_id: int) -> str:
    return f"csr-dashboard:own-writes:{user_id}"


def note_own_write(user_id: int) -> None:
    """The employee changed something: their cached panel is stale."""
    cache.set(_writes_key(user_id), timezone.now().timestamp(), timeout=DASHBOARD_TTL * 2)


def csr_dashboard_cached(user) -> CsrDashboard:
    """csr_dashboard(user), reused for DASHBOARD_TTL seconds unless the employee wrote since."""
    key = f"csr-dashboard:{user.pk}:{get_language()}:{cache.get(_writes_key(user.pk), 0)}"
    dashboard = cache.get(key)
    if dashboard is None:
        dashboard = csr_dashboard(user)
        cache.set(key, dashboard, timeout=DASHBOARD_TTL)
    return dashboard


class OwnWritesMiddleware:
    """Marks the employee's cached home panel stale after any request of theirs that may
    write (web pages and the API alike: DRF puts its authenticated user on the request)."""

    SAFE = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in self.SAFE:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                note_own_write(user.pk)
        return response
