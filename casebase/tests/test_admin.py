import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from casebase.models import Case
from casebase.tests.factories import SAMPLE_TREE_TEXT, CaseFactory, category

pytestmark = pytest.mark.django_db


def case_form(**changes):
    return {
        "kind": "text",
        "title": "后台录入案例",
        "category": category().pk,
        "level": 2,
        "split": "training",
        "status": "active",
        "background": "背景",
        "transcript": "",
        "premise": "",
        "tree_text": SAMPLE_TREE_TEXT,
        "change_reason": "后台录入",
        "nodes-TOTAL_FORMS": 0,
        "nodes-INITIAL_FORMS": 0,
        **changes,
    }


def test_admin_validates_the_tree_with_the_same_rules(client):
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    url = reverse("admin:casebase_case_add")
    bad = client.post(
        url, case_form(tree_text="客服: 您好 | 出发点: 礼貌 | 结果: 无 | 最终状态: 无")
    )
    assert bad.status_code == 200
    assert "line 1: the first turn must be the customer&#x27;s question." in bad.content.decode()
    assert client.post(url, case_form()).status_code == 302
    case = Case.objects.get(title="后台录入案例")
    assert case.nodes.count() == 7 and case.version == 1


def test_training_managers_can_use_the_case_admin(client, training_manager):
    CaseFactory()
    client.force_login(training_manager)
    assert client.get(reverse("admin:casebase_case_changelist")).status_code == 200
    assert client.get(reverse("admin:casebase_caselibrarysettings_changelist")).status_code == 200
    assert client.get(reverse("admin:casebase_casecategory_changelist")).status_code == 200


def test_ratings_are_read_only_in_the_admin(client, csr):
    # given
    from casebase.services.study import case_rate

    case = CaseFactory(level=1)
    rating = case_rate(employee=csr, case_id=case.pk, value="poor")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    # when / then: listed and viewable, never added, changed or deleted
    assert client.get(reverse("admin:casebase_caserating_changelist")).status_code == 200
    detail = client.get(reverse("admin:casebase_caserating_change", args=[rating.pk]))
    assert detail.status_code == 200 and 'name="value"' not in detail.content.decode()
    assert client.get(reverse("admin:casebase_caserating_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:casebase_caserating_change", args=[rating.pk]), {"value": "excellent"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("admin:casebase_caserating_delete", args=[rating.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    rating.refresh_from_db()
    assert rating.value == "poor"
