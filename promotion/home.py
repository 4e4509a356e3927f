"""promotion's part of the home page (accounts.home): the level, the next promotion's
checklist as bars and the retention period of the CSR's panel, and the HR rosters panel.
Registered from PromotionConfig.ready()."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from accounts import roles
from accounts.home import CsrSection, HomePanel, register_csr_section, register_panel
from promotion import selectors as promotion_selectors
from promotion.models import RetentionPeriod

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


def csr_level_section(user, now: datetime) -> dict:
    """The CSR's level and the next, the next promotion's checklist (promotion.selectors.
    promotion_checklist) and the running retention period with its status
    (promotion.selectors.retention_status) when its re-test window is near."""
    levels = promotion_selectors.levels()
    checklist = promotion_selectors.promotion_checklist(user)
    period = promotion_selectors.current_retention(user)
    near = bool(period) and retention_near(period, now)
    return {
        "level": levels.get(user.level),
        "next_level": levels.get(user.level + 1),
        "bars": [ChecklistBar(item, _percent(item)) for item in checklist],
        "met": sum(1 for item in checklist if item.met),
        "total": len(checklist),
        "retention_period": period,
        "retention": promotion_selectors.retention_status(period, now) if near else None,
        "retention_near": near,
    }


def hr_panel(user):
    """This local month's rosters (promotion.selectors.hr_dashboard)."""
    return promotion_selectors.hr_dashboard()


def register() -> None:
    register_csr_section(CsrSection(name="promotion", order=10, read=csr_level_section))
    register_panel(
        HomePanel(
            name="hr",
            order=50,
            permission=roles.EXPORT_ROSTERS,
            template="accounts/home/_hr.html",
            read=hr_panel,
        )
    )
