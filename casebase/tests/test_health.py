"""Library health: each level's training and test sets against their targets and the cap,
cases with no exam questions, the exam pool's readiness; and the set approvers are steered
to when they grade a new case."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casebase import selectors
from casebase.models import Case, CaseLibrarySettings, LevelCap
from casebase.services.proposals import case_new_propose
from casebase.tests.factories import CaseFactory, category, sample_tree, seed_case
from promotion.models import LevelRequirement, PromotionSettings
from review.tests.factories import committee_member

pytestmark = pytest.mark.django_db


def level_of(health, level: int):
    return next(lv for lv in health.levels if lv.level == level)


@pytest.fixture
def library():
    """Level 1: emotion 3 training + 2 test, elderly 1 test, a voice test case without premise or
    grade (no questions), a retired test case; a cap of 4 on level 1 × emotion."""
    emotion = category()
    elderly = category("elderly", "老年客户", parent=emotion)
    CaseFactory.create_batch(3, level=1, split="training", category=emotion)
    CaseFactory.create_batch(2, level=1, split="test", category=emotion)
    CaseFactory(level=1, split="test", category=elderly)
    mute = Case.objects.create(
        kind="voice", title="无标注录音", category=elderly, level=1, split="test"
    )
    retired = CaseFactory(level=1, split="test", category=emotion)
    Case.objects.filter(pk=retired.pk).update(status="history")
    LevelCap.objects.create(level=1, category=emotion, cap=4)
    return {"emotion": emotion, "elderly": elderly, "mute": mute}


def test_health_counts_each_level_and_category_against_targets_and_caps(library):
    # when
    health = selectors.library_health()
    one = level_of(health, 1)
    # then: per level × category
    rows = {row.category.code: row for row in one.rows}
    assert (rows["emotion"].training, rows["emotion"].test, rows["emotion"].cap) == (3, 2, 4)
    assert rows["emotion"].over_cap and rows["emotion"].room == -1
    assert (rows["elderly"].training, rows["elderly"].test, rows["elderly"].cap) == (0, 2, 120)
    # per level: targets (100 → 50/50), shortfalls, no-question cases and the exam pool
    assert (
        one.counts.training,
        one.counts.test,
        one.counts.training_target,
        one.counts.test_target,
    ) == (3, 4, 50, 50)
    assert (one.counts.training_short, one.counts.test_short, one.counts.short_of) == (
        47,
        46,
        "training",
    )
    assert one.no_questions == 1 and [c.pk for c in health.no_question_cases] == [
        library["mute"].pk
    ]
    assert (one.pool, one.pool_needed, one.ready, one.pool_short) == (3, 10, False, 7)
    assert level_of(health, 2).counts.short_of == "training" and level_of(health, 2).pool == 0


def test_the_set_a_level_is_short_of_follows_the_targets(library):
    CaseLibrarySettings.objects.filter(pk=1).update(target_per_level=7)  # 4 training, 3 test
    counts = selectors.split_counts()[1]
    assert (counts.training_short, counts.test_short, counts.short_of, counts.suggested_split) == (
        1,
        0,
        "training",
        "training",
    )
    CaseLibrarySettings.objects.filter(pk=1).update(target_per_level=20)  # 10 and 10
    counts = selectors.split_counts()[1]
    assert (counts.training_short, counts.test_short, counts.short_of) == (7, 6, "training")
    CaseFactory.create_batch(2, level=1, split="training")
    assert selectors.split_counts()[1].short_of == "test"
    CaseLibrarySettings.objects.filter(pk=1).update(target_per_level=4)
    assert (
        selectors.split_counts()[1].short_of is None
        and selectors.split_counts()[1].suggested_split == "training"
    )


@pytest.mark.parametrize("min_pool, exam_cases, needed", [(10, 10, 10), (12, 10, 12), (10, 15, 15)])
def test_exam_readiness_uses_the_promotion_rule(library, min_pool, exam_cases, needed):
    PromotionSettings.objects.filter(pk=1).update(min_test_pool=min_pool)
    LevelRequirement.objects.filter(level__number=1).update(exam_case_count=exam_cases)
    for n in range(needed - 3):
        seed_case(n)
    one = level_of(selectors.library_health(), 1)
    assert (one.pool, one.pool_needed, one.ready) == (needed, needed, True)
    Case.objects.filter(pk=Case.objects.testing().filter(level=1).first().pk).update(
        status="history"
    )
    one = level_of(selectors.library_health(), 1)
    assert (one.pool, one.ready, one.pool_short) == (needed - 1, False, 1)


def test_health_takes_a_bounded_number_of_queries(library, django_assert_max_num_queries):
    with CaptureQueriesContext(connection) as small:
        selectors.library_health()
    # a bigger library: more categories, levels and cases
    for code in ("complaint", "repeat", "special"):
        cat = category(code, code)
        for level in (2, 3):
            CaseFactory.create_batch(2, level=level, split="test", category=cat)
            LevelCap.objects.create(level=level, category=cat, cap=50)
    with django_assert_max_num_queries(len(small.captured_queries)):
        selectors.library_health()
    assert len(small.captured_queries) <= 10


def test_the_health_page_shows_the_shortfall_to_training_managers_and_review_experts(
    client, library, training_manager, reviewer, ops_manager
):
    for user in (training_manager, reviewer, ops_manager):
        client.force_login(user)
        response = client.get(reverse("casebase:health"))
        html = response.content.decode()
        assert response.status_code == 200
        assert "7 test cases with questions missing" in html and "over the cap" in html
        assert "无标注录音" in html and "1 active case yields no exam question" in html
        assert (
            reverse("casebase:health") in client.get(reverse("home")).content.decode()
        )  # in the navigation


def test_the_health_page_and_api_are_403_for_csrs_and_hr(client, api, csr, hr):
    for user in (csr, hr):
        client.force_login(user)
        assert client.get(reverse("casebase:health")).status_code == 403
        assert reverse("casebase:health") not in client.get(reverse("home")).content.decode()
        api.force_authenticate(user)
        assert api.get(reverse("api-cases-health")).status_code == 403


def test_the_health_api(api, library, training_manager):
    api.force_authenticate(training_manager)
    body = api.get(reverse("api-cases-health")).json()
    one = body["levels"][0]
    assert (
        one["level"],
        one["training"],
        one["test"],
        one["short_of"],
        one["exam_pool"],
        one["exam_pool_needed"],
        one["exam_ready"],
        one["no_questions"],
    ) == (1, 3, 4, "training", 3, 10, False, 1)
    emotion = next(row for row in one["categories"] if row["category"] == "情绪安抚")
    assert (emotion["training"], emotion["test"], emotion["cap"], emotion["over_cap"]) == (
        3,
        2,
        4,
        True,
    )
    assert body["no_question_cases"][0]["title"] == "无标注录音"
    assert api.post(reverse("api-cases-health")).status_code == 405


def test_approvers_see_the_shortfall_and_the_default_set_follows_it(client, csr):
    # given: level 2 has 3 training and no test cases (targets 50/50: test is further short)
    CaseFactory.create_batch(3, level=2, split="training")
    proposal = case_new_propose(
        proposer=csr,
        kind="text",
        title="停机投诉",
        category_id=category().pk,
        reason="r",
        tree=sample_tree(),
        suggested_level=2,
    )
    member = committee_member()
    client.force_login(member)
    # when
    page = client.get(reverse("review:proposal_detail", args=[proposal.pk]))
    # then
    form = page.context["extra_form"]
    assert form.initial == {"level": 2, "split": "test"}
    html = page.content.decode()
    assert "Level 2 is short of its test set (training 3/50, test 0/50)." in html
    assert 'value="test" selected' in html
    # and when the training set is further short, the default follows
    CaseFactory.create_batch(10, level=2, split="test")
    page = client.get(reverse("review:proposal_detail", args=[proposal.pk]))
    assert page.context["extra_form"].initial["split"] == "training"
