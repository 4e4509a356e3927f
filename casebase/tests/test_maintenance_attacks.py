"""Attacks on direct maintenance by someone who also sits exams: reflections of a case that
became a TEST case are its content too (DOMAIN.md §4: an exam never asks what one has seen)."""

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from casebase.models import Case, CaseCommentary, CaseExposure, CaseReflection, CaseStudy
from casebase.services.errors import CaseError
from casebase.services.maintenance import case_maintain_create
from casebase.services.voice import (
    call_suggest,
    call_suggestion_decide,
    reflection_add,
    reflection_moderate,
)
from casebase.tests.factories import grant_maintain, sample_tree
from casebase.tests.test_maintenance import voice_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def regraded(db):
    """A level-2 voice case studied and reflected on as a training case, then moved into the
    level-2 TEST set; and a maintainer who is a level-2 CSR (examined on level 2 again)."""
    case = voice_case(level=2)
    writer = UserFactory(roles=["CSR"], level=2)
    CaseStudy.objects.create(employee=writer, case=case)
    reflection = reflection_add(employee=writer, case_id=case.pk, text="秘诀：先安抚再核实")
    Case.objects.filter(pk=case.pk).update(split=Case.Split.TEST)
    examinee = grant_maintain(UserFactory(roles=["CSR", "Operations manager"], level=2))
    return case, reflection, examinee


def test_a_maintainer_who_sits_exams_does_not_see_reflections_of_their_own_test_cases(
    client, api, regraded
):
    case, reflection, examinee = regraded
    client.force_login(examinee)
    page = client.get(reverse("casebase:reflections"))
    assert page.status_code == 200 and "秘诀" not in page.content.decode()
    api.force_authenticate(examinee)
    answer = api.post(
        reverse("api-cases-reflection-moderate", args=[reflection.pk]),
        {"approve": True},
        format="json",
    )
    assert answer.status_code == 404 and "秘诀" not in answer.content.decode()
    assert (
        client.post(
            reverse("casebase:reflection_moderate", args=[reflection.pk]), {"approve": "1"}
        ).status_code
        == 404
    )
    reflection.refresh_from_db()
    assert reflection.status == CaseReflection.Status.PENDING
    assert not CaseExposure.objects.filter(employee=examinee).exists()


def test_a_moderator_who_sits_no_exams_still_moderates_it(client, ops_manager, regraded):
    case, reflection, _ = regraded
    client.force_login(ops_manager)
    assert "秘诀" in client.get(reverse("casebase:reflections")).content.decode()
    reflection_moderate(user=ops_manager, reflection_id=reflection.pk, approve=True)
    reflection.refresh_from_db()
    assert reflection.status == CaseReflection.Status.APPROVED


def test_a_csr_cannot_reflect_on_a_test_case_through_the_api(api):
    case = voice_case(level=1, split="test")
    csr = UserFactory(roles=["CSR"], level=1)
    CaseStudy.objects.create(employee=csr, case=case)  # even with a forged study row
    api.force_authenticate(csr)
    answer = api.post(
        reverse("api-cases-reflections", args=[case.pk]), {"text": "体会"}, format="json"
    )
    assert answer.status_code == 404
    assert not CaseReflection.objects.exists()


def test_reflection_text_is_escaped_on_the_pages(client, ops_manager):
    case = voice_case()
    csr = UserFactory(roles=["CSR"], level=1)
    CaseStudy.objects.create(employee=csr, case=case)
    reflection = reflection_add(employee=csr, case_id=case.pk, text="<script>alert(1)</script>")
    reflection_moderate(user=ops_manager, reflection_id=reflection.pk, approve=True)
    for user, url in [
        (csr, reverse("casebase:case_detail", args=[case.pk])),
        (ops_manager, reverse("casebase:catalogue_detail", args=[case.pk])),
    ]:
        client.force_login(user)
        page = client.get(url).content.decode()
        assert (
            "<script>alert(1)</script>" not in page
            and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        )


def test_a_maintainer_who_sits_exams_cannot_reach_a_test_case_of_their_level_by_any_door(
    client, api
):
    case = voice_case(level=2, split="test", title="考题：抢话")
    examinee = grant_maintain(UserFactory(roles=["CSR", "Operations manager"], level=2))
    client.force_login(examinee)
    for name in (
        "catalogue_detail",
        "maintain_edit",
        "maintain_retire",
        "commentary_edit",
        "recording",
        "history_detail",
    ):
        answer = client.get(reverse(f"casebase:{name}", args=[case.pk]))
        assert answer.status_code in (403, 404, 405) and "考题" not in answer.content.decode(), name
    assert (
        "考题"
        not in client.get(reverse("casebase:catalogue") + "?split=test&level=2").content.decode()
    )
    api.force_authenticate(examinee)
    assert api.get(reverse("api-cases-catalogue-detail", args=[case.pk])).status_code == 404
    assert "考题" not in api.get(reverse("api-cases-catalogue") + "?level=2").content.decode()
    for name, body in (
        (
            "api-cases-catalogue-revise",
            {"base_version": 1, "reason": "x", "title": "改", "category_id": case.category_id},
        ),
        ("api-cases-catalogue-retire", {"reason": "x"}),
        ("api-cases-commentary", {"text": "点评"}),
    ):
        method = api.put if name == "api-cases-commentary" else api.post
        answer = method(reverse(name, args=[case.pk]), body, format="json")
        assert answer.status_code in (400, 403, 404) and "考题" not in answer.content.decode(), name
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE and case.version == 1
    assert not CaseCommentary.objects.exists()
    # and a case they did create or revise is never drawn for them (CaseExposure / authorship)
    from casebase.selectors import cases_known_to

    own = case_maintain_create(
        user=examinee,
        kind="text",
        title="我出的题",
        category_id=case.category_id,
        level=3,
        split="test",
        reason="新增",
        tree=sample_tree(),
    )
    assert own.pk in cases_known_to(examinee)


def test_a_suggested_call_made_into_a_test_case_is_hidden_from_a_maintainer_examined_on_it(
    client, ops_manager
):
    case = voice_case(level=2, split="test", title="考题：抢话")
    suggestion = call_suggest(
        user=UserFactory(roles=["CSR"]),
        call_ref="CALL-20261128-001",
        reason="客户反复被打断，最后投诉",
    )
    call_suggestion_decide(
        user=ops_manager, suggestion_id=suggestion.pk, accept=True, case_id=case.pk
    )
    examinee = grant_maintain(UserFactory(roles=["CSR", "Operations manager"], level=2))
    client.force_login(examinee)
    page = client.get(reverse("casebase:calls") + "?status=accepted").content.decode()
    assert "考题" not in page and "反复被打断" not in page
    client.force_login(ops_manager)
    assert "考题" in client.get(reverse("casebase:calls") + "?status=accepted").content.decode()
    # nor can they name a test case of their level when accepting a call (its title would show)
    other = call_suggest(
        user=UserFactory(roles=["CSR"]), call_ref="CALL-20261128-002", reason="好例子"
    )
    with pytest.raises(CaseError):
        call_suggestion_decide(user=examinee, suggestion_id=other.pk, accept=True, case_id=case.pk)
