"""The bar chart of a result per competency item (curriculum.exam_items.scores_chart) on the
course exam's result page and the promotion exam's feedback: one bar per item, its length the
item's percent (right ÷ questions, rounded down to 0.1) on a 0–100 % axis of 400 px (the chart
640 px wide less 170 for the names and 70 for the values), above the table it draws. Data set:
test_question_competency_items' ``tagged`` course (q_c tests C, q_a tests A, q_1 and q_2 count
for the course's A and B)."""

import pytest
from django.urls import reverse

from curriculum import exam_items
from curriculum.tests.test_exam_evidence import NOW, write_course_attempt
from curriculum.tests.test_question_competency_items import tagged  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


def bars(chart):
    return [(s["x"], s["width"], s["title"]) for s in chart.shapes if s["kind"] == "rect"]


def texts(chart):
    return [s["text"] for s in chart.shapes if s["kind"] == "text"]


@pytest.fixture
def attempt(csr, tagged):  # noqa: F811
    course, _items, (q_c, q_a, q_1, q_2) = tagged
    # right: q_a, q_1; wrong: q_c, q_2 → a: q_a ✓ q_1 ✓ q_2 ✗ = 2/3 = 66.6 % (rounded down),
    # b: q_1 ✓ q_2 ✗ = 1/2 = 50.0 %, c: q_c ✗ = 0/1 = 0.0 %
    return write_course_attempt(
        csr, course, [(q_c, False), (q_a, True), (q_1, True), (q_2, False)], at=NOW
    )


def test_one_bar_per_item_as_long_as_its_percent(attempt):
    chart = exam_items.scores_chart(exam_items.competency_scores(attempt))
    assert bars(chart) == [
        (170, 266.4, "a: 66.60%"),  # 0.666 × 400
        (170, 200.0, "b: 50.00%"),
        (170, 0.0, "c: 0.00%"),
    ]
    assert texts(chart) == ["a", "66.6%", "b", "50.0%", "c", "0.0%"]
    assert chart.label == "Share of the questions answered right, per competency item"
    assert exam_items.scores_chart([]) is None


def test_the_result_page_draws_the_chart_above_its_table(client, csr, attempt):
    client.force_login(csr)
    html = client.get(reverse("curriculum:exam_attempt", args=[attempt.pk])).content.decode()
    section = html[html.index('id="competency-scores"') :]
    svg, table = section.index("<svg"), section.index('<table class="data">')
    assert svg < table < section.index("</section>")
    assert 'width="266.4"' in section[svg:table] and ">66.6%</text>" in section[svg:table]
    assert "<td>a</td><td>2 / 3</td><td>66.6</td>" in section  # the table stays
