"""Reviewer calibration and anti-gaming figures (read only): per committee member how often
they agree with the committee's final decision, how often they approve, how fast they vote
and how concentrated their votes are on a few proposers; and two flags for operations
managers — reciprocal approvals and serial voting. Nothing here changes a vote or a point:
an operations manager who judges a flag real records a reversal of the points concerned
through the points ledger (review.insights.flag_points_reverse → the ledger points registers in
review.ledger).

Every function reads with a bounded number of set-based queries, whatever the number of
votes (the tests count them).

Definitions (what the pages and the API say):

- a *decided* proposal is one the committee applied or rejected (withdrawn and outdated
  proposals have no outcome to agree with);
- *agreement*: the share of a member's votes on decided proposals that match the outcome
  (approve on an applied proposal, reject on a rejected one);
- *approval rate*: the share of a member's votes that approve;
- *median time to vote*: the median of (vote time − proposal submission time) over the
  member's votes;
- *top-3 proposers' share*: the share of a member's votes cast on the proposals of the three
  proposers they voted on most;
- *reciprocal approvals*: employees A and B where A approved at least k of B's proposals and
  B at least k of A's (k = ReviewSettings.reciprocal_min_approvals), and the pair's mutual
  approval rate — (approvals A→B + approvals B→A) ÷ (votes A→B + votes B→A) — is at least m
  times the committee's base approval rate (all approvals ÷ all votes; m =
  ReviewSettings.reciprocal_rate_factor);
- *serial voting*: a member who voted on at least s proposals of one proposer on one local
  day (Asia/Shanghai; s = ReviewSettings.serial_votes_per_day).

The page and the API show one *period* (local days, both inclusive; the last
DEFAULT_PERIOD_DAYS days unless chosen, at most MAX_PERIOD_DAYS): every figure and flag counts
only the votes cast in it, and the calibration figures only the items answered in it.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from statistics import median
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    F,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import roles
from config import charts
from config.charts import Chart
from review import ledger
from review.models import CalibrationAssignment, CommitteeMembership, Proposal, ReviewSettings, Vote

DECIDED = (Proposal.Status.APPLIED, Proposal.Status.REJECTED)
TOP_PROPOSERS = 3
DEFAULT_PERIOD_DAYS = 90  # the page's and the API's period when none is chosen
MAX_PERIOD_DAYS = 731  # two years: a longer period is refused (the queries scan every vote)

MSG_PERIOD_ORDER = gettext_noop("The start date must not be after the end date.")
MSG_PERIOD_SPAN = gettext_noop("Choose a period of at most %(days)s days.")

MSG_NOT_REVIEW_ENTRY = gettext_noop(
    "Only points paid for a review decision (a member's review points or a "
    "proposer's reward) are reversed here."
)
MSG_OPERATIONS_ONLY = gettext_noop(
    "Only operations managers may record a reversal for a review flag."
)


def may_see_insights(user) -> bool:
    """Operations managers (accounts.manage_operations) see every member's figures and the flags."""
    return bool(
        user and user.is_authenticated and user.is_active and user.has_perm(roles.MANAGE_OPERATIONS)
    )


def _agreed() -> Q:
    return Q(decision=Vote.Decision.APPROVE, proposal__status=Proposal.Status.APPLIED) | Q(
        decision=Vote.Decision.REJECT, proposal__status=Proposal.Status.REJECTED
    )


def _share(part: int, whole: int) -> Decimal | None:
    """part ÷ whole as a percentage with one decimal (None when whole is 0)."""
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


class _Median(Aggregate):
    """PostgreSQL's percentile_cont(0.5) of an interval."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


@dataclass(frozen=True)
class Period:
    """Local days ``start``..``end``, both inclusive."""

    start: date
    end: date

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, datetime.min.time(), tzinfo=local_zone())

    @property
    def until(self) -> datetime:
        """The first moment after the period (exclusive bound)."""
        return datetime.combine(
            self.end + timedelta(days=1), datetime.min.time(), tzinfo=local_zone()
        )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def default_period(today: date | None = None) -> Period:
    """The last DEFAULT_PERIOD_DAYS local days up to and including today."""
    today = today or datetime.now(local_zone()).date()
    return Period(today - timedelta(days=DEFAULT_PERIOD_DAYS - 1), today)


def period_errors(start: date | None, end: date | None) -> dict[str, str]:
    """{field: message} of a chosen period (field names date_from / date_to, as the form and
    the API call them); empty when it is valid. A missing end is today, a missing start is
    DEFAULT_PERIOD_DAYS before the end."""
    chosen = choose_period(start, end)
    if chosen.start > chosen.end:
        return {"date_to": _(MSG_PERIOD_ORDER)}
    if chosen.days > MAX_PERIOD_DAYS:
        return {"date_from": _(MSG_PERIOD_SPAN) % {"days": MAX_PERIOD_DAYS}}
    return {}


def choose_period(start: date | None, end: date | None) -> Period:
    """The period of the chosen dates, defaults filled in (not validated: period_errors)."""
    end = end or default_period().end
    return Period(start or end - timedelta(days=DEFAULT_PERIOD_DAYS - 1), end)


def _votes(since: datetime | None = None, until: datetime | None = None) -> QuerySet[Vote]:
    votes = Vote.objects.all()
    if since is not None:
        votes = votes.filter(created_at__gte=since)
    if until is not None:
        votes = votes.filter(created_at__lt=until)
    return votes


@dataclass
class MemberFigures:
    member: object  # the User
    votes: int
    approvals: int
    decided_votes: int
    agreed: int
    approval_rate: Decimal | None
    agreement: Decimal | None
    median_time: timedelta | None
    top_proposers_votes: int
    top_proposers_share: Decimal | None
    calibration_answered: int = 0
    calibration_matched: int = 0
    active: bool = True

    @property
    def calibration_rate(self) -> Decimal | None:
        return _share(self.calibration_matched, self.calibration_answered)

    @property
    def median_hours(self) -> Decimal | None:
        if self.median_time is None:
            return None
        return (Decimal(self.median_time.total_seconds()) / 3600).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )


def member_figures(
    *, since: datetime | None = None, until: datetime | None = None, member_ids=None
) -> list[MemberFigures]:
    """The figures of every employee who voted (from ``since``, before ``until``) and of every
    active member, by staff ID; the calibration figures count the items answered in the same
    window; ``member_ids`` limits them to those employees. Five queries."""
    votes = _votes(since, until)
    memberships = CommitteeMembership.objects.filter(active=True)
    if member_ids is not None:
        votes, memberships = (
            votes.filter(reviewer_id__in=member_ids),
            memberships.filter(member_id__in=member_ids),
        )
    postgres = connection.vendor == "postgresql"
    per_member = (
        votes.values("reviewer_id")
        .order_by()
        .annotate(
            n=Count("pk"),
            approvals=Count("pk", filter=Q(decision=Vote.Decision.APPROVE)),
            decided=Count("pk", filter=Q(proposal__status__in=DECIDED)),
            agreed=Count("pk", filter=_agreed()),
            **(
                {"median": _Median(F("created_at") - F("proposal__created_at"))} if postgres else {}
            ),
        )
    )
    rows = {row["reviewer_id"]: row for row in per_member}
    if not postgres:  # the embedded demo database: the same median, computed here
        waits: dict[int, list[timedelta]] = {}
        for reviewer_id, voted, submitted in votes.values_list(
            "reviewer_id", "created_at", "proposal__created_at"
        ):
            waits.setdefault(reviewer_id, []).append(voted - submitted)
        for reviewer_id, row in rows.items():
            row["median"] = median(sorted(waits[reviewer_id]))
    top_votes = _top_proposer_votes(since=since, until=until, member_ids=member_ids)
    answered = CalibrationAssignment.objects.filter(answered_at__isnull=False)
    if since is not None:
        answered = answered.filter(answered_at__gte=since)
    if until is not None:
        answered = answered.filter(answered_at__lt=until)
    active = set(memberships.values_list("member_id", flat=True))
    calibration = {
        row["member_id"]: row
        for row in (
            answered.filter(member_id__in=set(rows) | active)
            .values("member_id")
            .order_by()
            .annotate(
                answered=Count("pk"), matched=Count("pk", filter=Q(decision=F("round__expected")))
            )
        )
    }
    users = get_user_model().objects.filter(pk__in=set(rows) | active).order_by("staff_id")
    result = []
    for user in users:
        row = rows.get(user.pk, {"n": 0, "approvals": 0, "decided": 0, "agreed": 0, "median": None})
        cal = calibration.get(user.pk, {"answered": 0, "matched": 0})
        result.append(
            MemberFigures(
                member=user,
                votes=row["n"],
                approvals=row["approvals"],
                decided_votes=row["decided"],
                agreed=row["agreed"],
                approval_rate=_share(row["approvals"], row["n"]),
                agreement=_share(row["agreed"], row["decided"]),
                median_time=row["median"],
                top_proposers_votes=top_votes.get(user.pk, 0),
                top_proposers_share=_share(top_votes.get(user.pk, 0), row["n"]),
                calibration_answered=cal["answered"],
                calibration_matched=cal["matched"],
                active=user.pk in active,
            )
        )
    return result


def _top_proposer_votes(
    *, since: datetime | None, until: datetime | None = None, member_ids
) -> dict[int, int]:
    """{member pk: votes on the TOP_PROPOSERS proposers they voted on most} in one query (a
    window over the per-proposer counts; ties broken by the proposer's id)."""
    where, params = ["1 = 1"], []
    if since is not None:
        where.append("v.created_at >= %s")
        params.append(since)
    if until is not None:
        where.append("v.created_at < %s")
        params.append(until)
    if member_ids is not None:
        ids = [int(pk) for pk in member_ids]
        if not ids:
            return {}
        where.append(f"v.reviewer_id IN ({', '.join(['%s'] * len(ids))})")
        params.extend(ids)
    sql = (
        "SELECT reviewer_id, SUM(n) FROM ("
        " SELECT v.reviewer_id AS reviewer_id, COUNT(*) AS n, ROW_NUMBER() OVER ("
        "  PARTITION BY v.reviewer_id ORDER BY COUNT(*) DESC, p.proposer_id) AS rank"
        f" FROM {Vote._meta.db_table} v JOIN {Proposal._meta.db_table} p ON p.id = v.proposal_id"
        f" WHERE {' AND '.join(where)} GROUP BY v.reviewer_id, p.proposer_id"
        ") ranked WHERE rank <= %s GROUP BY reviewer_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, TOP_PROPOSERS])
        return {reviewer_id: int(total) for reviewer_id, total in cursor.fetchall()}


def base_approval_rate(
    *, since: datetime | None = None, until: datetime | None = None
) -> tuple[int, int]:
    """(approvals, votes) of the whole committee (one query)."""
    counts = _votes(since, until).aggregate(
        n=Count("pk"), approvals=Count("pk", filter=Q(decision=Vote.Decision.APPROVE))
    )
    return counts["approvals"], counts["n"]


@dataclass
class ReciprocalFlag:
    first: object  # User, the lower pk
    second: object
    first_approved: int  # approvals of first on second's proposals
    second_approved: int
    votes_between: int
    mutual_rate: Decimal
    base_rate: Decimal
    factor: Decimal

    @property
    def approvals_between(self) -> int:
        return self.first_approved + self.second_approved


def reciprocal_flags(
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    config: ReviewSettings | None = None,
) -> list[ReciprocalFlag]:
    """The pairs flagged for reciprocal approvals (module docstring), strongest first.
    Three queries: the base rate, the (reviewer, proposer) pairs with at least k approvals,
    the employees of the flagged pairs."""
    config = config or ReviewSettings.current()
    k, m = config.reciprocal_min_approvals, config.reciprocal_rate_factor
    approvals, total = base_approval_rate(since=since, until=until)
    if not total:
        return []
    base = Decimal(approvals) / total
    pairs = {
        (row["reviewer_id"], row["proposal__proposer_id"]): (row["approvals"], row["n"])
        for row in (
            _votes(since, until)
            .values("reviewer_id", "proposal__proposer_id")
            .order_by()
            .annotate(
                n=Count("pk"), approvals=Count("pk", filter=Q(decision=Vote.Decision.APPROVE))
            )
            .filter(approvals__gte=k)
        )
    }
    found = []
    for (a, b), (a_approved, a_votes) in pairs.items():
        if a >= b or (b, a) not in pairs:
            continue
        b_approved, b_votes = pairs[(b, a)]
        rate = Decimal(a_approved + b_approved) / (a_votes + b_votes)
        if rate >= m * base:
            found.append((a, b, a_approved, b_approved, a_votes + b_votes, rate))
    if not found:
        return []
    users = get_user_model().objects.in_bulk({pk for a, b, *_rest in found for pk in (a, b)})
    flags = [
        ReciprocalFlag(
            first=users[a],
            second=users[b],
            first_approved=ab,
            second_approved=ba,
            votes_between=n,
            mutual_rate=(rate * 100).quantize(Decimal("0.1")),
            base_rate=(base * 100).quantize(Decimal("0.1")),
            factor=m,
        )
        for a, b, ab, ba, n, rate in found
    ]
    return sorted(flags, key=lambda f: (-f.approvals_between, f.first.staff_id, f.second.staff_id))


@dataclass
class SerialFlag:
    member: object
    proposer: object
    day: date
    votes: int


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def serial_flags(
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    config: ReviewSettings | None = None,
) -> list[SerialFlag]:
    """Members who voted on at least s proposals of one proposer on one local day, newest
    day first. Two queries."""
    config = config or ReviewSettings.current()
    rows = list(
        _votes(since, until)
        .annotate(day=TruncDate("created_at", tzinfo=local_zone()))
        .values("reviewer_id", "proposal__proposer_id", "day")
        .order_by()
        .annotate(n=Count("pk"))
        .filter(n__gte=config.serial_votes_per_day)
    )
    if not rows:
        return []
    users = get_user_model().objects.in_bulk(
        {pk for r in rows for pk in (r["reviewer_id"], r["proposal__proposer_id"])}
    )
    flags = [
        SerialFlag(
            member=users[r["reviewer_id"]],
            proposer=users[r["proposal__proposer_id"]],
            day=r["day"],
            votes=r["n"],
        )
        for r in rows
    ]
    return sorted(flags, key=lambda f: (-f.day.toordinal(), -f.votes, f.member.staff_id))


def flag_count(*, since: datetime | None = None, until: datetime | None = None) -> int:
    """How many flags are raised now (the operations desk's figure): five queries at most."""
    return len(reciprocal_flags(since=since, until=until)) + len(
        serial_flags(since=since, until=until)
    )


# --- the votes and ledger entries behind one flag ---------------------------------------


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, datetime.min.time(), tzinfo=local_zone())
    return start, start + timedelta(days=1)


def pair_votes(
    *,
    first_id: int,
    second_id: int,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Vote]:
    """Every vote either of the two cast on the other's proposals (from ``since``, before
    ``until``: the period the flag was read in), oldest first."""
    return (
        _votes(since, until)
        .filter(
            Q(reviewer_id=first_id, proposal__proposer_id=second_id)
            | Q(reviewer_id=second_id, proposal__proposer_id=first_id)
        )
        .select_related("reviewer", "proposal__proposer")
        .order_by("created_at", "pk")
    )


def serial_votes(
    *,
    member_id: int,
    proposer_id: int,
    day: date,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Vote]:
    """The member's votes on the proposer's proposals on that local day (and from ``since``,
    before ``until``: none when the day is outside the period), oldest first."""
    start, end = _day_bounds(day)
    return (
        _votes(since, until)
        .filter(
            reviewer_id=member_id,
            proposal__proposer_id=proposer_id,
            created_at__gte=start,
            created_at__lt=end,
        )
        .select_related("reviewer", "proposal__proposer")
        .order_by("created_at", "pk")
    )


def flag_entries(votes):
    """The points entries paid for ``votes`` (review points and proposer rewards), each
    annotated ``reversed`` (a reversal row exists): the registered ledger's (review.ledger).
    One query."""
    return ledger.current().vote_entries(votes)


def flag_entry(entry_id: int):
    """The ledger's entry ``entry_id``; raises the ledger's ObjectDoesNotExist for none."""
    return ledger.current().entry(entry_id)


@transaction.atomic
def flag_points_reverse(*, entry_id: int, by, reason: str):
    """An operations manager records the reversal of one entry paid for a review decision
    (a member's review points or a proposer's reward), with a mandatory reason, through the
    points ledger's own reversal (review.ledger: its permission, its no-own-entry rule, once
    per entry). Nothing is reversed automatically. Raises the ledger's ObjectDoesNotExist,
    ReviewPermissionDenied, ReviewError or the ledger's errors."""
    from review.services import ReviewError, ReviewPermissionDenied

    if not may_see_insights(by):
        raise ReviewPermissionDenied(_(MSG_OPERATIONS_ONLY))
    book = ledger.current()
    entry = book.entry(entry_id)
    if not book.paid_for_review(entry):
        raise ReviewError(_(MSG_NOT_REVIEW_ENTRY), field="entry")
    return book.reverse(entry_id=entry.pk, by=by, reason=reason)


# --- the chart --------------------------------------------------------------------------


def agreement_chart(figures: list[MemberFigures], *, size: int = 320) -> Chart | None:
    """The scatter chart "agreement vs approval rate" (templates/charts/chart.html): one dot
    per member with both figures; axes 0–100 %. None when no member has both."""
    plotted = [f for f in figures if f.agreement is not None and f.approval_rate is not None]
    if not plotted:
        return None
    left, top, plot = 44, 12, size - 64
    bottom = top + plot
    x = charts.linear((0, 100), (left, left + plot))
    y = charts.linear((100, 0), (top, bottom))
    chart = Chart(
        width=size,
        height=size,
        label=_("Agreement with the final decision against approval rate, one dot per member"),
    )
    chart.line(left, bottom, left + plot, bottom)
    chart.line(left, top, left, bottom)
    for v in (0, 50, 100):
        chart.text(x(v), bottom + 14, f"{v}%", cls="tick", anchor="middle")
        chart.text(left - 4, y(v), f"{v}%", cls="tick", anchor="end")
    mid, mid_y = round(left + plot / 2, 1), round(top + plot / 2, 1)
    chart.text(mid, size - 6, _("Approval rate"), cls="tick", anchor="middle")
    chart.text(12, mid_y, _("Agreement"), cls="tick", anchor="middle", rotate=-90)
    for f in plotted:
        chart.dot(
            x(f.approval_rate),
            y(f.agreement),
            r=5,
            title=(
                f"{f.member.name} ({f.member.staff_id}): {_('agreement')} {f.agreement}%, "
                f"{_('approval rate')} {f.approval_rate}%"
            ),
        )
    return chart
