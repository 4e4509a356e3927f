"""The reviewer insights' flag pages (a reciprocal pair, a serial-voting day) read the same
period as the insights page (?date_from=&date_to=, the last 90 days unless chosen, validated
by review.insights.period_errors): their votes, their flag and the entries they may reverse
count only the votes of the period; the insights page's links and a reversal's redirect carry
it; a refused period is a form error with status 400 and reverses nothing. The data set of
test_insights_period: votes inside the default period and on 1 November 2025, outside it."""

from datetime import date

import pytest
import time_machine
from django.urls import reverse

from points.models import PointRule, PointsEntry
from points.services import points_award, review_source
from review.models import Vote
from review.tests.test_insights_period import TODAY, data  # noqa: F401 - data is a fixture

pytestmark = pytest.mark.django_db

WIDE = {"date_from": "2025-11-01", "date_to": "2026-03-10"}
WIDE_QUERY = "date_from=2025-11-01&amp;date_to=2026-03-10"


def get(client, url, params=None):
    with time_machine.travel(TODAY, tick=False):
        return client.get(url, params or {}, HTTP_ACCEPT_LANGUAGE="en")


def test_the_pair_page_counts_the_votes_of_the_period(client, ops_manager, data):  # noqa: F811
    _m1, _p, r1, r2 = data
    client.force_login(ops_manager)
    url = reverse("review:insights_pair", args=[r1.pk, r2.pk])
    default = get(client, url)
    # the last 90 days: R1's approval of 1 November is outside, so no flag (k = 2 each way)
    assert default.status_code == 200
    assert len(default.context["votes"]) == 3 and not default.context["flagged"]
    html = default.content.decode()
    assert "Not flagged under the current settings." in html
    assert "Votes cast 2025-12-11 – 2026-03-10 (90 days)" in html
    wide = get(client, url, WIDE)
    assert len(wide.context["votes"]) == 4 and wide.context["flagged"]
    html = wide.content.decode()
    assert "Flagged under the current settings." in html
    assert f'href="{reverse("review:insights")}?{WIDE_QUERY}"' in html  # back with the period


def test_the_serial_page_counts_the_votes_of_the_period(client, ops_manager, data):  # noqa: F811
    m1, p, _r1, _r2 = data
    client.force_login(ops_manager)
    url = reverse("review:insights_serial", args=[m1.pk, p.pk, "2025-11-01"])
    default = get(client, url)
    assert default.status_code == 200
    assert default.context["votes"] == [] and not default.context["flagged"]
    wide = get(client, url, WIDE)
    assert len(wide.context["votes"]) == 3 and wide.context["flagged"]
    november = get(client, url, {"date_from": "2025-11-01", "date_to": "2025-11-01"})
    assert len(november.context["votes"]) == 3 and november.context["flagged"]


def test_the_insights_page_links_carry_the_period(client, ops_manager, data):  # noqa: F811
    m1, p, r1, r2 = data
    client.force_login(ops_manager)
    html = get(client, reverse("review:insights"), WIDE).content.decode()
    pair = reverse("review:insights_pair", args=[r1.pk, r2.pk])
    serial = reverse("review:insights_serial", args=[m1.pk, p.pk, "2025-11-01"])
    assert f'href="{pair}?{WIDE_QUERY}"' in html
    assert f'href="{serial}?{WIDE_QUERY}"' in html


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"date_from": "2026-03-05", "date_to": "2026-03-01"}, "date_to", "The start date"),
        ({"date_from": "2020-01-01", "date_to": "2026-03-01"}, "date_from", "at most 731 days"),
        ({"date_to": "tomorrow"}, "date_to", "Enter a valid date."),
    ],
)
def test_a_refused_period_is_a_form_error_and_the_default_period_is_shown(
    client,
    ops_manager,
    data,  # noqa: F811
    params,
    field,
    message,
):
    m1, p, r1, r2 = data
    client.force_login(ops_manager)
    for url, default_votes in [
        (reverse("review:insights_pair", args=[r1.pk, r2.pk]), 3),
        (reverse("review:insights_serial", args=[m1.pk, p.pk, "2025-11-01"]), 0),
    ]:
        page = get(client, url, params)
        assert page.status_code == 400, url
        assert message in page.context["period_form"].errors[field][0], url
        assert len(page.context["votes"]) == default_votes, url
        assert message in page.content.decode(), url


def paid(reviewer, proposer):
    """Review points paid to ``reviewer`` for each approval of ``proposer``'s proposals."""
    return {
        vote.created_at.date(): points_award(
            employee=reviewer,
            rule_code=PointRule.COMMITTEE_KB_REVIEW,
            source=review_source(proposal_id=vote.proposal_id, reviewer_id=reviewer.pk),
        )
        for vote in Vote.objects.filter(reviewer=reviewer, proposal__proposer=proposer)
    }


def test_a_reversal_is_of_an_entry_of_the_period_and_keeps_it(client, ops_manager, data):  # noqa: F811
    _m1, _p, r1, r2 = data
    november = paid(r1, r2)[date(2025, 11, 1)]  # paid for R1's approval outside the default
    client.force_login(ops_manager)
    url = reverse("review:insights_pair", args=[r1.pk, r2.pk])
    with time_machine.travel(TODAY, tick=False):
        # the default period does not hold that vote: not one of this flag's entries
        refused = client.post(url, {"entry": november.pk, "reason": "互相放水"})
        # a refused period reverses nothing, even an entry of the flag
        bad = client.post(
            f"{url}?date_from=2026-03-05&date_to=2026-03-01",
            {"entry": november.pk, "reason": "互相放水"},
        )
        assert not PointsEntry.objects.filter(reverses=november).exists()
        done = client.post(
            f"{url}?date_from=2025-11-01&date_to=2026-03-10",
            {"entry": november.pk, "reason": "互相放水"},
        )
    assert refused.status_code == 400
    assert "This entry is not one of this flag&#x27;s." in refused.content.decode()
    assert bad.status_code == 400
    assert done.status_code == 302
    assert done["Location"] == f"{url}?date_from=2025-11-01&date_to=2026-03-10"
    assert PointsEntry.objects.get(reverses=november).note == "互相放水"
