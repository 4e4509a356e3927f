"""Maintainers tag cases with the competency items they test (the exam blueprint), on the
case edit page and in the admin; tags are no new version of the content."""

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from casebase.models import Case
from casebase.services import maintenance
from casebase.services.errors import CaseError
from casebase.services.maintenance import case_competencies_set
from casebase.tests.factories import CaseFactory
from competency.tests.factories import CompetencyItemFactory
from config.errors import AppError

pytestmark = pytest.mark.django_db


def test_a_maintainer_tags_a_case_on_its_edit_page_without_a_new_version(client, ops_manager):
    case = CaseFactory(split="test")
    a, b = CompetencyItemFactory(name="倾听"), CompetencyItemFactory(name="安抚")
    client.force_login(ops_manager)
    page = client.get(reverse("casebase:maintain_edit", args=[case.pk])).content.decode()
    assert 'id="competency-tags-form"' in page and "倾听" in page
    response = client.post(
        reverse("casebase:maintain_competencies", args=[case.pk]), {"competencies": [a.pk, b.pk]}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert set(case.competencies.values_list("pk", flat=True)) == {a.pk, b.pk} and case.version == 1
    client.post(reverse("casebase:maintain_competencies", args=[case.pk]), {"competencies": [b.pk]})
    assert list(case.competencies.values_list("pk", flat=True)) == [b.pk]


def test_csrs_cannot_tag_cases(client, csr):
    case = CaseFactory()
    item = CompetencyItemFactory()
    client.force_login(csr)
    assert (
        client.post(
            reverse("casebase:maintain_competencies", args=[case.pk]), {"competencies": [item.pk]}
        ).status_code
        == 403
    )
    assert not case.competencies.exists()
    with pytest.raises(AppError):
        case_competencies_set(user=csr, case_id=case.pk, item_ids=[item.pk])


def test_an_unknown_item_is_refused_with_a_field_message(ops_manager):
    case = CaseFactory()
    with pytest.raises(AppError) as exc:
        case_competencies_set(user=ops_manager, case_id=case.pk, item_ids=[999999])
    assert "competencies" in exc.value.fields and not case.competencies.exists()


def test_the_admin_sets_the_tags_through_the_service_without_a_new_version(client):
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    case = CaseFactory()
    item = CompetencyItemFactory()
    client.force_login(admin_user)
    url = reverse("admin:casebase_case_change", args=[case.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: value for name, value in form.initial.items() if value is not None and name != "audio"
    }
    data.update(
        {
            "tree_text": form.fields["tree_text"].initial,
            "category": case.category_id,
            "competencies": [item.pk],
            "change_reason": "打标签",
            "nodes-TOTAL_FORMS": 0,
            "nodes-INITIAL_FORMS": 0,
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.status_code
    case = Case.objects.get(pk=case.pk)
    assert list(case.competencies.values_list("pk", flat=True)) == [item.pk] and case.version == 1


def test_a_refusal_of_the_service_shows_its_own_reason_on_the_edit_page(
    client, ops_manager, monkeypatch
):
    # given an item removed between the form's check and the save (the service refuses)
    case = CaseFactory(split="test")
    item = CompetencyItemFactory()

    def refuse(**kwargs):
        raise CaseError("这个能力项刚被删除。", field="competencies")

    monkeypatch.setattr(maintenance, "case_competencies_set", refuse)
    client.force_login(ops_manager)
    # when
    response = client.post(
        reverse("casebase:maintain_competencies", args=[case.pk]),
        {"competencies": [item.pk]},
        follow=True,
    )
    # then the page says why, not a generic "choose items"
    page = response.content.decode()
    assert "这个能力项刚被删除。" in page
    assert not case.competencies.exists()
