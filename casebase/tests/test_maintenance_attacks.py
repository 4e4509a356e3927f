"""Attacks on direct maintenance by someone who also sits exams: reflections of a case that
became a TEST case are its content too (DOMAIN.md §4: an exam never asks what one has seen)."""

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from casebase import services
from casebase.models import Case, CaseExposure, CaseReflection, CaseStudy
from casebase.tests.factories import grant_maintain
from casebase.tests.test_maintenance import voice_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def regraded(db):
    """A level-2 voice case studied and reflected on as a training case, then moved into the
    level-2 TEST set; and a maintainer who is a level-2 CSR (examined on level 2 again)."""
    case = voice_case(level=2)
    writer = UserFactory(roles=["CSR"], level=2)
    CaseStudy.objects.create(employee=writer, case=case)
    reflection = services.reflection_add(employee=writer, case_id=case.pk, text="秘诀：先安抚再核实")
    Case.objects.filter(pk=case.pk).update(split=Case.Split.TEST)
    examinee = grant_maintain(UserFactory(roles=["CSR", "Operations manager"], level=2))
    return case, reflection, examinee


def test_a_maintainer_who_sits_exams_does_not_see_reflections_of_their_own_test_cases(client, api, regraded):
    case, reflection, examinee = regraded
    client.force_login(examinee)
    page = client.get(reverse("casebase:reflections"))
    assert page.status_code == 200 and "秘诀" not in page.content.decode()
    api.force_authenticate(examinee)
    answer = api.post(reverse("api-cases-reflection-moderate", args=[reflection.pk]), {"approve": True},
                      format="json")
    assert answer.status_code == 404 and "秘诀" not in answer.content.decode()
    assert client.post(reverse("casebase:reflection_moderate", args=[reflection.pk]),
                       {"approve": "1"}).status_code == 404
    reflection.refresh_from_db()
    assert reflection.status == CaseReflection.Status.PENDING
    assert not CaseExposure.objects.filter(employee=examinee).exists()


def test_a_moderator_who_sits_no_exams_still_moderates_it(client, ops_manager, regraded):
    case, reflection, _ = regraded
    client.force_login(ops_manager)
    assert "秘诀" in client.get(reverse("casebase:reflections")).content.decode()
    services.reflection_moderate(user=ops_manager, reflection_id=reflection.pk, approve=True)
    reflection.refresh_from_db()
    assert reflection.status == CaseReflection.Status.APPROVED


def test_a_csr_cannot_reflect_on_a_test_case_through_the_api(api):
    case = voice_case(level=1, split="test")
    csr = UserFactory(roles=["CSR"], level=1)
    CaseStudy.objects.create(employee=csr, case=case)  # even with a forged study row
    api.force_authenticate(csr)
    answer = api.post(reverse("api-cases-reflections", args=[case.pk]), {"text": "体会"}, format="json")
    assert answer.status_code == 404
    assert not CaseReflection.objects.exists()


def test_reflection_text_is_escaped_on_the_pages(client, ops_manager):
    case = voice_case()
    csr = UserFactory(roles=["CSR"], level=1)
    CaseStudy.objects.create(employee=csr, case=case)
    reflection = services.reflection_add(employee=csr, case_id=case.pk, text="<script>alert(1)</script>")
    services.reflection_moderate(user=ops_manager, reflection_id=reflection.pk, approve=True)
    for user, url in [(csr, reverse("casebase:case_detail", args=[case.pk])),
                      (ops_manager, reverse("casebase:catalogue_detail", args=[case.pk]))]:
        client.force_login(user)
        page = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
