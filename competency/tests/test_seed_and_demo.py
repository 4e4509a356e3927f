"""The seeded competency dictionary, the training manager's permissions and the demo round."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts.models import User
from competency.models import CompetencyItem, CompetencyModule, PositionCompetency, QSortRound

pytestmark = pytest.mark.django_db


def test_the_three_core_modules_are_seeded_in_order():
    assert list(CompetencyModule.objects.values_list("code", "name", "name_en")) == [
        ("service", "服务", "Service"),
        ("marketing", "营销", "Marketing"),
        ("management", "管理", "Management"),
    ]


@pytest.mark.parametrize(
    "code, module, name, ksao, kind",
    [
        ("service-cognition", "service", "服务认知", "A", "self_concept"),
        ("product-knowledge", "service", "产品与业务知识", "K", "knowledge"),
        ("complaint-handling", "service", "投诉处理", "S", "skill"),
        ("customer-orientation", "service", "客户导向", "A", "motive"),
        ("key-moment", "marketing", "关键时刻", "S", "skill"),
        ("key-phrase", "marketing", "关键话术", "S", "skill"),
        ("key-information", "marketing", "关键信息", "K", "knowledge"),
        ("people-management", "management", "人员管理", "S", "skill"),
        ("task-management", "management", "任务管理", "S", "skill"),
    ],
)
def test_the_domain_items_are_seeded_with_section_and_kind(code, module, name, ksao, kind):
    item = CompetencyItem.objects.get(code=code)
    assert (item.module.code, item.name, item.ksao, item.kind) == (module, name, ksao, kind)
    assert item.name_en and item.description


def test_every_seeded_item_has_an_english_name():
    assert CompetencyItem.objects.count() == 18
    assert not CompetencyItem.objects.filter(name_en="").exists()


def test_training_managers_may_change_every_competency_model(training_manager):
    for model in [
        "competency.competencyitem",
        "competency.competencymodule",
        "competency.positioncompetency",
        "competency.qsortround",
        # Positions moved to accounts (issue 15) with their permissions (accounts.0007).
        "accounts.position",
        "accounts.positionfamily",
    ]:
        app_label, model = model.split(".")
        for action in ["add", "change", "delete", "view"]:
            assert training_manager.has_perm(f"{app_label}.{action}_{model}"), (action, model)


def test_a_csr_may_not_change_the_dictionary(csr):
    assert not csr.has_perm("competency.change_competencyitem")


def test_the_demo_publishes_a_weighted_hotline_model_from_three_raters_and_is_repeatable():
    call_command("demo", force=True, stdout=io.StringIO())
    call_command("demo", force=True, stdout=io.StringIO())
    round = QSortRound.objects.get(position__code="hotline-csr")
    assert round.status == "published"
    assert set(round.submissions.values_list("rater__staff_id", flat=True)) == {
        "HB0005",
        "HB0006",
        "HB9001",
    }
    assert set(round.events.values_list("action", flat=True)) == {
        "created",
        "opened",
        "closed",
        "published",
    }
    model = PositionCompetency.objects.filter(position__code="hotline-csr")
    assert model.count() == 18 and sum(pc.weight for pc in model) == Decimal(1)
    assert all(pc.weight > 0 and pc.behavioural_indicators for pc in model)
    assert model.order_by("-weight").first().item.code == "service-cognition"
    assert User.objects.filter(staff_id="HB9001").exists()


def test_the_admin_pages_of_the_competency_app_open_for_a_training_manager(
    client, training_manager
):
    call_command("demo", force=True, stdout=io.StringIO())
    client.force_login(training_manager)
    round = QSortRound.objects.get()
    for url in [
        "/admin/competency/competencyitem/",
        "/admin/competency/competencymodule/1/change/",
        "/admin/competency/qsortround/",
        f"/admin/competency/qsortround/{round.pk}/change/",
        "/admin/competency/qsortroundevent/",
        "/admin/competency/positioncompetency/",
        # Positions are accounts data (issue 15); their admin keeps the competency inline.
        f"/admin/accounts/position/{round.position_id}/change/",
        "/admin/accounts/positionfamily/",
    ]:
        assert client.get(url).status_code == 200, url
