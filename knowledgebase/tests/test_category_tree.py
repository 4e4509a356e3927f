"""The KB category tree (treebeard materialised paths): the migration from the parent column
keeps every row, parent, sibling order and reference; subtrees and labels come from paths."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from config.trees import parent_map, path_labels, subtree_ids
from knowledgebase.models import Category, Entry
from knowledgebase.selectors import category_choices
from knowledgebase.tests.factories import CategoryFactory

BEFORE = ("knowledgebase", "0009_search_vocabulary")
AFTER = ("knowledgebase", "0012_category_tree_materialised_path")


def migrate_to(target):
    """Migrate knowledgebase to ``target``; the models of that state with the review app's
    newest ones (its expertise rows point at categories)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    review = [node for node in executor.loader.graph.leaf_nodes() if node[0] == "review"]
    return executor.loader.project_state([target, *review]).apps


def migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migration_keeps_ids_parents_sibling_order_and_every_reference():
    try:
        # given: the parent-column tree, siblings created out of their order
        old = migrate_to(BEFORE)
        Cat = old.get_model("knowledgebase", "Category")
        billing = Cat.objects.create(code="billing", name="话费", order=2)
        tariff = Cat.objects.create(code="tariff", name="资费", order=1)
        pay = Cat.objects.create(code="billing-pay", name="缴费", parent=billing, order=5)
        query = Cat.objects.create(code="billing-query", name="查询", parent=billing, order=1)
        a_late = Cat.objects.create(code="b-same", name="同序乙", parent=billing, order=3)
        a_early = Cat.objects.create(code="a-same", name="同序甲", parent=billing, order=3)
        deep = Cat.objects.create(code="billing-pay-card", name="充值卡", parent=pay, order=0)
        entry = old.get_model("knowledgebase", "Entry").objects.create(
            category_id=deep.pk, title="充值卡口径", body="…"
        )
        user = old.get_model("accounts", "User").objects.create(staff_id="MIG201", name="迁移")
        expertise = old.get_model("review", "ReviewExpertise").objects.create(
            member_id=user.pk, kb_category_id=pay.pk
        )
        # when
        migrate_to(AFTER)
        # then: the same rows, each under its old parent
        assert parent_map(Category) == {
            billing.pk: None,
            tariff.pk: None,
            pay.pk: billing.pk,
            query.pk: billing.pk,
            a_late.pk: billing.pk,
            a_early.pk: billing.pk,
            deep.pk: pay.pk,
        }
        # siblings in order then code, as before; depths and child counts right
        assert [c.pk for c in Category.objects.get_root_nodes()] == [tariff.pk, billing.pk]
        assert [
            c.pk for c in Category.objects.get_children(Category.objects.get(pk=billing.pk))
        ] == [query.pk, a_early.pk, a_late.pk, pay.pk]
        assert Category.objects.get(pk=deep.pk).depth == 3
        assert Category.objects.get(pk=billing.pk).numchild == 4
        assert Category.objects.find_problems() == ([], [], [], [], [])
        # references untouched
        assert Entry.objects.get(pk=entry.pk).category.code == "billing-pay-card"
        from review.models import ReviewExpertise

        assert ReviewExpertise.objects.get(pk=expertise.pk).kb_category.code == "billing-pay"
        # and a new child lands in its sorted place
        Category.objects.add_child(
            Category.objects.get(pk=billing.pk),
            create_kwargs={"code": "billing-aa", "name": "新", "order": 3},
        )
        assert [
            c.code for c in Category.objects.get_children(Category.objects.get(pk=billing.pk))
        ] == ["billing-query", "a-same", "b-same", "billing-aa", "billing-pay"]

        # backwards: the parent column comes back from the paths
        old = migrate_to(BEFORE)
        Cat = old.get_model("knowledgebase", "Category")
        assert dict(
            Cat.objects.filter(code__in=["billing-pay-card", "billing-pay", "billing"]).values_list(
                "code", "parent__code"
            )
        ) == {"billing-pay-card": "billing-pay", "billing-pay": "billing", "billing": None}
    finally:
        migrate_to_latest()


@pytest.mark.django_db
def test_subtree_is_the_node_and_everything_below_it_and_labels_show_the_path():
    billing = CategoryFactory(code="billing", name="话费")
    pay = CategoryFactory(code="billing-pay", name="缴费", parent=billing)
    card = CategoryFactory(code="billing-pay-card", name="充值卡", parent=pay)
    other = CategoryFactory(code="broadband", name="宽带")
    assert subtree_ids(billing) == billing.descendant_ids() == {billing.pk, pay.pk, card.pk}
    assert subtree_ids(Category.objects.get(pk=pay.pk)) == {pay.pk, card.pk}
    assert subtree_ids(other) == {other.pk}
    assert category_choices() == [
        (billing.pk, "话费"),
        (pay.pk, "话费 / 缴费"),
        (card.pk, "话费 / 缴费 / 充值卡"),
        (other.pk, "宽带"),
    ]
    assert path_labels(Category, " › ")[2] == (card.pk, "话费 › 缴费 › 充值卡")


@pytest.mark.django_db
def test_admin_places_a_new_category_under_its_parent_and_reorders_siblings_by_order(client):
    from django.urls import reverse

    from accounts.tests.factories import UserFactory

    billing = CategoryFactory(code="billing", name="话费")
    CategoryFactory(code="billing-query", name="查询", parent=billing, order=2)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get(reverse("admin:knowledgebase_category_changelist")).status_code == 200
    # when: a child added in admin with a lower order
    response = client.post(
        reverse("admin:knowledgebase_category_add"),
        {
            "code": "billing-pay",
            "name": "缴费",
            "name_en": "",
            "order": 1,
            "treebeard_position": "sorted-child",
            "treebeard_ref_node": billing.pk,
        },
    )
    # then: under its parent, before its sibling
    assert response.status_code == 302, response.context["adminform"].form.errors
    pay = Category.objects.get(code="billing-pay")
    assert parent_map(Category)[pay.pk] == billing.pk
    assert [c.code for c in Category.objects.get_children(Category.objects.get(pk=billing.pk))] == [
        "billing-pay",
        "billing-query",
    ]
    # and a changed order re-places it among its siblings
    response = client.post(
        reverse("admin:knowledgebase_category_change", args=[pay.pk]),
        {
            "code": "billing-pay",
            "name": "缴费",
            "name_en": "",
            "order": 3,
            "treebeard_position": "sorted-child",
            "treebeard_ref_node": billing.pk,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert [c.code for c in Category.objects.get_children(Category.objects.get(pk=billing.pk))] == [
        "billing-query",
        "billing-pay",
    ]


@pytest.mark.django_db
def test_the_loaders_writer_moves_a_category_to_its_new_parent_and_place():
    from knowledgebase import services

    tariff = services.category_put(code="tariff", name="资费", order=1)
    billing = services.category_put(code="billing", name="话费", order=2)
    services.category_put(code="data", name="流量", parent=tariff, order=1)
    # when: run again with another parent and order
    moved = services.category_put(code="data", name="流量包", parent=billing, order=0)
    services.category_put(code="tariff", name="资费", order=3)
    # then
    assert parent_map(Category)[moved.pk] == billing.pk
    assert Category.objects.get(pk=moved.pk).name == "流量包"
    assert [c.code for c in Category.objects.get_root_nodes()] == ["billing", "tariff"]
    assert Category.objects.find_problems() == ([], [], [], [], [])
