"""The reviewer insights' period (issue 16): every figure, flag and calibration count of the
page and the API counts only the votes (and answered calibration items) of the chosen local
days; the last 90 days by default; from ≤ to and at most MAX_PERIOD_DAYS, else a field error."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from accounts.tests.factories import UserFactory
from review import insights
from review.models import CalibrationAssignment, CalibrationRound, Proposal, ReviewSettings, Vote
from review.tests.factories import committee_member

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)  # 12:00 on 10 March in Asia/Shanghai
INSIDE = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
OUTSIDE = datetime(2025, 11, 1, 2, 0, tzinfo=UTC)  # 10:00 on 1 Nov 2025, > 90 days before


def proposal(proposer, status=Proposal.Status.OPEN, at=OUTSIDE - timedelta(days=1)) -> Proposal:
    p = Proposal.objects.create(kind="kb_revision", proposer=proposer, status=status, reason="演示")
    Proposal.objects.filter(pk=p.pk).update(created_at=at)
    return p


def cast(p, reviewer, decision, at) -> Vote:
    v = Vote.objects.create(proposal=p, reviewer=reviewer, decision=decision)
    Vote.objects.filter(pk=v.pk).update(created_at=at)
    return v


def answer(p, member, decision, at, expected="approve"):
    creator = UserFactory(roles=["CSR"])
    round_ = CalibrationRound.objects.create(proposal=p, expected=expected, created_by=creator)
    CalibrationAssignment.objects.create(
        round=round_, proposal=p, member=member, decision=decision, answered_at=at
    )


@pytest.fixture
def data():
    """M1 inside the default period: approve on applied A, reject on rejected C (both agree);
    outside it (1 Nov 2025): approve on rejected D (disagrees) and three approvals of P's
    proposals that day (serial voting at s = 3). Calibration: one matched item inside, one
    unmatched outside. R1 and R2 approved 2 of each other's proposals, one of R1's outside."""
    ReviewSettings.objects.filter(pk=1).update(
        serial_votes_per_day=3, reciprocal_min_approvals=2, reciprocal_rate_factor=1
    )
    m1 = committee_member(staff_id="M1")
    p, q = UserFactory(roles=["CSR"], staff_id="P1"), UserFactory(roles=["CSR"], staff_id="Q1")
    a = proposal(q, Proposal.Status.APPLIED)
    c = proposal(q, Proposal.Status.REJECTED)
    d = proposal(q, Proposal.Status.REJECTED)
    cast(a, m1, "approve", INSIDE)
    cast(c, m1, "reject", INSIDE + timedelta(hours=2))
    cast(d, m1, "approve", OUTSIDE)
    for minutes in (10, 20, 30):
        cast(proposal(p), m1, "approve", OUTSIDE + timedelta(minutes=minutes))
    answer(a, m1, "approve", INSIDE)
    answer(c, m1, "reject", OUTSIDE)  # the committee expected approve: unmatched
    r1, r2 = committee_member(staff_id="R1"), committee_member(staff_id="R2")
    cast(proposal(r2), r1, "approve", INSIDE)
    cast(proposal(r2), r1, "approve", OUTSIDE)
    cast(proposal(r1), r2, "approve", INSIDE)
    cast(proposal(r1), r2, "approve", INSIDE)
    return m1, p, r1, r2


def figures(**window):
    return {f.member.staff_id: f for f in insights.member_figures(**window)}


def test_the_default_period_is_the_last_90_local_days():
    with time_machine.travel(TODAY, tick=False):
        period = insights.default_period()
    assert (period.start, period.end, period.days) == (date(2025, 12, 11), date(2026, 3, 10), 90)
    assert period.since == datetime(2025, 12, 10, 16, 0, tzinfo=UTC)  # local midnight
    assert period.until == datetime(2026, 3, 10, 16, 0, tzinfo=UTC)  # after the last day


def test_votes_outside_the_period_change_every_figure(data):
    with time_machine.travel(TODAY, tick=False):
        period = insights.default_period()
    all_time = figures()["M1"]
    assert (all_time.votes, all_time.approvals, all_time.decided_votes, all_time.agreed) == (
        6,
        5,
        3,
        2,
    )
    assert (all_time.top_proposers_votes, all_time.calibration_answered) == (6, 2)
    m1 = figures(since=period.since, until=period.until)["M1"]
    # only A (approve, applied) and C (reject, rejected) are inside
    assert (m1.votes, m1.approvals, m1.decided_votes, m1.agreed) == (2, 1, 2, 2)
    assert (str(m1.approval_rate), str(m1.agreement)) == ("50.0", "100.0")
    # proposals submitted on 31 Oct 2025, the two votes 121 days (+ 0 and 2 hours) later
    assert (str(m1.median_hours), m1.top_proposers_votes, str(m1.top_proposers_share)) == (
        "2905.0",
        2,
        "100.0",
    )
    assert (m1.calibration_answered, m1.calibration_matched) == (1, 1)


def test_the_end_day_is_inclusive_to_local_midnight(data):
    m1 = data[0]
    late = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)  # 23:30 on 10 March in Shanghai
    cast(proposal(UserFactory(roles=["CSR"])), m1, "reject", late)
    through_10th = insights.choose_period(date(2026, 3, 1), date(2026, 3, 10))
    through_9th = insights.choose_period(date(2026, 3, 1), date(2026, 3, 9))
    tenth = figures(since=through_10th.since, until=through_10th.until)["M1"]
    ninth = figures(since=through_9th.since, until=through_9th.until)["M1"]
    assert (tenth.votes, tenth.approvals, tenth.top_proposers_votes) == (3, 1, 3)
    assert (ninth.votes, ninth.approvals, ninth.top_proposers_votes) == (2, 1, 2)


def test_flags_count_only_the_votes_of_the_period(data):
    m1, p, r1, r2 = data
    with time_machine.travel(TODAY, tick=False):
        period = insights.default_period()
    window = {"since": period.since, "until": period.until}
    # all time: M1's serial day and R1 ⇄ R2 (2 approvals each way) are flagged
    assert [(f.member, f.proposer, f.day) for f in insights.serial_flags()] == [
        (m1, p, date(2025, 11, 1))
    ]
    assert [(f.first, f.second) for f in insights.reciprocal_flags()] == [(r1, r2)]
    # in the last 90 days: the serial day and one of R1's approvals are outside
    assert insights.serial_flags(**window) == []
    assert insights.reciprocal_flags(**window) == []
    assert insights.flag_count(**window) == 0 and insights.flag_count() == 2
    november = insights.choose_period(date(2025, 11, 1), date(2025, 11, 1))
    assert len(insights.serial_flags(since=november.since, until=november.until)) == 1


def test_period_errors():
    assert insights.period_errors(date(2026, 3, 1), date(2026, 3, 1)) == {}
    assert insights.period_errors(None, None) == {}
    assert insights.period_errors(date(2026, 3, 2), date(2026, 3, 1)) == {
        "date_to": "The start date must not be after the end date."
    }
    longest = date(2026, 3, 1) - timedelta(days=insights.MAX_PERIOD_DAYS - 1)
    assert insights.period_errors(longest, date(2026, 3, 1)) == {}
    assert insights.period_errors(longest - timedelta(days=1), date(2026, 3, 1)) == {
        "date_from": f"Choose a period of at most {insights.MAX_PERIOD_DAYS} days."
    }


def test_the_page_shows_the_period_and_its_numbers(client, ops_manager, data):
    client.force_login(ops_manager)
    with time_machine.travel(TODAY, tick=False):
        default = client.get(reverse("review:insights"), HTTP_ACCEPT_LANGUAGE="en")
        chosen = client.get(
            reverse("review:insights"),
            {"date_from": "2025-11-01", "date_to": "2026-03-10"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert default.status_code == 200 and chosen.status_code == 200
    shown = {f.member.staff_id: f for f in default.context["figures"]}
    assert (shown["M1"].votes, shown["M1"].calibration_answered) == (2, 1)
    html = default.content.decode()
    assert "Votes cast 2025-12-11 – 2026-03-10 (90 days)" in html
    assert "No serial voting flagged." in html and "No reciprocal approvals flagged." in html
    wide = {f.member.staff_id: f for f in chosen.context["figures"]}
    assert (wide["M1"].votes, wide["M1"].calibration_answered) == (6, 2)
    assert len(chosen.context["serial"]) == 1 and len(chosen.context["reciprocal"]) == 1


@pytest.mark.parametrize(
    "params, field, message, api_message",
    [
        (
            {"date_from": "2026-03-05", "date_to": "2026-03-01"},
            "date_to",
            "The start date must not be after the end date.",
            None,
        ),
        (
            {"date_from": "2020-01-01", "date_to": "2026-03-01"},
            "date_from",
            "Choose a period of at most 731 days.",
            None,
        ),
        (
            {"date_from": "yesterday"},
            "date_from",
            "Enter a valid date.",
            "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
        ),
    ],
)
def test_a_bad_period_is_a_field_error_on_the_page_and_in_the_api(
    client, api, ops_manager, data, params, field, message, api_message
):
    client.force_login(ops_manager)
    with time_machine.travel(TODAY, tick=False):
        page = client.get(reverse("review:insights"), params, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 400
    assert page.context["form"].errors[field] == [message]
    # the page still shows the default period's figures
    assert {f.member.staff_id: f.votes for f in page.context["figures"]}["M1"] == 2
    api.force_authenticate(ops_manager)
    for url in ("/api/review/insights/members/", "/api/review/insights/flags/"):
        response = api.get(url, params, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400, url
        assert response.json()["fields"][field] == [api_message or message], url


def test_the_api_counts_the_same_period(api, ops_manager, data):
    api.force_authenticate(ops_manager)
    with time_machine.travel(TODAY, tick=False):
        rows = {r["staff_id"]: r for r in api.get("/api/review/insights/members/").json()}
        flags = api.get("/api/review/insights/flags/").json()
        wide = api.get(
            "/api/review/insights/members/", {"date_from": "2025-11-01", "date_to": "2026-03-10"}
        ).json()
        wide_flags = api.get(
            "/api/review/insights/flags/", {"date_from": "2025-11-01", "date_to": "2026-03-10"}
        ).json()
    assert (rows["M1"]["votes"], rows["M1"]["approval_rate"], rows["M1"]["agreement"]) == (
        2,
        "50.0",
        "100.0",
    )
    assert (rows["M1"]["calibration_answered"], rows["M1"]["calibration_matched"]) == (1, 1)
    assert flags == {"reciprocal": [], "serial": []}
    m1 = {r["staff_id"]: r for r in wide}["M1"]
    assert (m1["votes"], m1["approval_rate"], m1["calibration_answered"]) == (6, "83.3", 2)
    assert [(f["member"], f["proposer"], f["day"]) for f in wide_flags["serial"]] == [
        ("M1", "P1", "2025-11-01")
    ]
    assert [(f["first"], f["second"]) for f in wide_flags["reciprocal"]] == [("R1", "R2")]
