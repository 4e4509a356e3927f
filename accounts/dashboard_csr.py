"""The CSR's home panel: one read (csr_dashboard) that gathers what a CSR's day starts with
— level and title, the next promotion's checklist as a bar, the retention period when its
re-test window is near, what to study next, recent points and the open proposals. Each part
is read by the app that owns it, registered as a section in accounts.home (promotion/home.py,
casebase/home.py, curriculum/home.py, points/home.py, review/home.py): no rule is computed
here a second time, and accounts imports none of those apps. A constant number of queries
whatever the employee's history (tests/accounts: test_dashboard_csr)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from accounts.home import csr_sections
from config.fragments import fragment


@dataclass
class CsrDashboard:
    # promotion (promotion/home.py)
    level: Any  # promotion.models.Level | None
    next_level: Any  # promotion.models.Level | None; None at the top level
    bars: list  # promotion.home.ChecklistBar, one per item of the next promotion's checklist
    met: int
    total: int
    retention_period: Any  # promotion.models.RetentionPeriod | None: the running one, near or not
    retention: Any  # promotion.selectors.RetentionStatus | None: its status, only when near
    retention_near: bool
    # casebase (casebase/home.py)
    next_cases: list
    more_cases: bool
    study_level: int
    # curriculum (curriculum/home.py)
    next_course: Any  # curriculum.selectors.CourseProgress | None
    # points (points/home.py)
    points: list
    balance: int
    # review (review/home.py): {"proposal", "label"} each
    proposals: list[dict] = field(default_factory=list)

    @property
    def percent(self) -> int:
        """Share of the next promotion's requirements met (0–100); 0 without a checklist."""
        return round(100 * self.met / self.total) if self.total else 0

    @property
    def all_met(self) -> bool:
        return bool(self.total) and self.met == self.total


def csr_dashboard(user, *, now: datetime | None = None) -> CsrDashboard:
    """Everything on the CSR's home panel, in a constant number of queries: the registered
    sections' attributes, read in the sections' order."""
    now = now or timezone.now()
    values: dict[str, Any] = {}
    for section in csr_sections():
        values.update(section.read(user, now))
    return CsrDashboard(**values)


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


def _dashboard_key(user) -> str:
    # ":2": the panel's parts moved to the owning apps' modules (promotion.home.ChecklistBar),
    # so a copy pickled before cannot be read back; the new key never meets one.
    return f"csr-dashboard:2:{user.pk}:{get_language()}:{cache.get(_writes_key(user.pk), 0)}"


def csr_dashboard_cached(user) -> CsrDashboard:
    """csr_dashboard(user), reused for DASHBOARD_TTL seconds unless the employee wrote since."""
    dashboard = cache.get(_dashboard_key(user))
    return _dashboard_fresh(user) if dashboard is None else dashboard


def _dashboard_fresh(user) -> CsrDashboard:
    """csr_dashboard(user) read now and kept for csr_dashboard_cached."""
    dashboard = csr_dashboard(user)
    cache.set(_dashboard_key(user), dashboard, timeout=DASHBOARD_TTL)
    return dashboard


def csr_panel_html(request, template: str) -> SafeString:
    """The CSR's home panel written with ``template``, kept as HTML (config.fragments, per
    language) for DASHBOARD_TTL and written again after the employee's own writes, as the
    dashboard is: the panel holds no form and no token, and a kept copy spares the page the
    unpickling of the dashboard and ~1.3 ms of template work (a fifth of its CPU). A copy is
    written from the dashboard read afresh, not from a kept one: a kept one may be nearly
    DASHBOARD_TTL old, and the copy would then show a change by somebody else only after
    twice DASHBOARD_TTL."""
    user = request.user
    return fragment(
        "csr-panel",
        (user.pk, cache.get(_writes_key(user.pk), 0)),
        lambda: render_to_string(
            template, {"csr": _dashboard_fresh(user), "user": user}, request=request
        ),
        timeout=DASHBOARD_TTL,
    )


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
