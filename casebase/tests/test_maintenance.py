"""Business managers maintain the case library directly (DOMAIN.md §4), admin edits go
through the same services, voice cases come from real calls (suggested by reference), with
employees' reflections and a trainer's commentary."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.navigation import navigation_for
from accounts.tests.factories import UserFactory
from casebase import selectors
from casebase.models import (
    CallSuggestion,
    Case,
    CaseEvent,
    CaseExposure,
    CaseLibrarySettings,
    CaseReflection,
    CaseStudy,
    RetirementCandidate,
)
from casebase.services.content import case_create
from casebase.services.errors import CaseConflict, CaseError, CasePermissionDenied
from casebase.services.maintenance import case_maintain_retire, case_maintain_revise
from casebase.services.proposals import case_revision_propose
from casebase.services.voice import (
    call_suggest,
    call_suggestion_decide,
    commentary_set,
    reflection_add,
    reflection_moderate,
)
from casebase.tests.factories import (
    SAMPLE_TREE_TEXT,
    CaseFactory,
    category,
    grant_maintain,
    sample_tree,
    wav_upload,
)
from casebase.tree import tree_to_text
from review.models import Proposal, ReviewEvent

pytestmark = pytest.mark.django_db

EDITED_TREE_TEXT = SAMPLE_TREE_TEXT.replace("我马上帮您查。", "我马上帮您查清楚。")


def voice_case(**kwargs) -> Case:
    from io import BytesIO

    from casebase.models import recordings_storage
    from casebase.tests.factories import wav_bytes

    name = recordings_storage().save("casebase/audio/v.wav", BytesIO(wav_bytes(1)))
    defaults = {
        "kind": "voice",
        "title": "录音：抢话",
        "category": category(),
        "level": 1,
        "split": "training",
        "audio_name": name,
        "duration_seconds": 1,
        "premise": "service_defect",
        "emotion_grade": 2,
        "transcript": "客户：……",
    }
    return case_create(**{**defaults, **kwargs})


def revision_proposal(csr, case) -> Proposal:
    return case_revision_propose(
        proposer=csr,
        case_id=case.pk,
        base_version=case.version,
        reason="更清楚",
        title=case.title,
        category_id=case.category_id,
        background=case.background + "补充。",
        tree=selectors.case_tree(case),
        visible_cases=selectors.study_cases(csr),
    )


def revise_form(case, **changes):
    return {
        "base_version": case.version,
        "title": case.title,
        "category": case.category_id,
        "level": case.level,
        "split": case.split,
        "background": case.background,
        "tree": EDITED_TREE_TEXT,
        "reason": "更正客服用语",
        **changes,
    }


# --- the permission and the role's pages -----------------------------------------------------


def test_the_migration_grants_maintenance_to_operations_managers_only():
    holders = set(
        Group.objects.filter(permissions__codename="maintain_cases").values_list("name", flat=True)
    )
    assert holders == {"Operations manager"}


def test_operations_managers_reach_the_case_pages_instead_of_a_403(client, ops_manager):
    case = CaseFactory(split="test", level=3)
    client.force_login(ops_manager)
    assert client.get(reverse("casebase:library")).url == reverse("casebase:catalogue")
    page = client.get(reverse("casebase:catalogue"), {"split": "test"})
    assert page.status_code == 200 and case.title in page.content.decode()
    labels = {str(item["label"]) for item in navigation_for(ops_manager)}
    assert {"Case catalogue", "Suggested calls", "Reflections to moderate"} <= labels
    assert "Suggest a call" not in labels


def test_csrs_get_no_catalogue_and_no_maintenance(client, api, csr):
    case = CaseFactory()
    client.force_login(csr)
    for name, args in [
        ("catalogue", []),
        ("catalogue_detail", [case.pk]),
        ("maintain_new_text", []),
        ("maintain_edit", [case.pk]),
        ("calls", []),
    ]:
        assert client.get(reverse(f"casebase:{name}", args=args)).status_code == 403, name
    assert (
        client.post(
            reverse("casebase:maintain_retire", args=[case.pk]), {"reason": "x"}
        ).status_code
        == 403
    )
    api.force_authenticate(csr)
    assert api.get(reverse("api-cases-catalogue")).status_code == 403
    body = {
        "title": "t",
        "category_id": category().pk,
        "level": 1,
        "split": "training",
        "tree": sample_tree(),
        "reason": "r",
    }
    assert api.post(reverse("api-cases-catalogue"), body, format="json").status_code == 403
    assert (
        api.post(
            reverse("api-cases-catalogue-retire", args=[case.pk]), {"reason": "r"}, format="json"
        ).status_code
        == 403
    )
    with pytest.raises(CasePermissionDenied):
        case_maintain_retire(user=csr, case_id=case.pk, reason="r", scope=Case.objects.all())
    assert Case.objects.get(pk=case.pk).status == Case.Status.ACTIVE
    labels = {str(item["label"]) for item in navigation_for(csr)}
    assert "Suggest a call" in labels and "Case catalogue" not in labels


# --- create, revise, retire ---------------------------------------------------------------------


def test_a_maintainer_enters_a_case_directly_with_reason_and_author(client, ops_manager):
    client.force_login(ops_manager)
    response = client.post(
        reverse("casebase:maintain_new_text"),
        {
            "title": "运营录入",
            "category": category().pk,
            "level": 2,
            "split": "test",
            "background": "背景",
            "tree": SAMPLE_TREE_TEXT,
            "reason": "业务部门整理",
        },
    )
    assert response.status_code == 302
    case = Case.objects.get(title="运营录入")
    assert (case.version, case.level, case.split, case.author) == (1, 2, "test", ops_manager)
    record = case.history.first()
    assert record.history_user == ops_manager and record.history_change_reason == "业务部门整理"
    # no reason: a form error, nothing written
    again = client.post(
        reverse("casebase:maintain_new_text"),
        {
            "title": "无理由",
            "category": category().pk,
            "level": 2,
            "split": "test",
            "background": "背景",
            "tree": SAMPLE_TREE_TEXT,
            "reason": "",
        },
    )
    assert again.status_code == 400 and not Case.objects.filter(title="无理由").exists()


def test_a_direct_revision_is_a_new_version_with_diff_and_outdates_open_proposals(
    client, csr, ops_manager
):
    case = CaseFactory()
    open_proposal = revision_proposal(csr, case)
    client.force_login(ops_manager)
    response = client.post(reverse("casebase:maintain_edit", args=[case.pk]), revise_form(case))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.version == 2 and case.revised_at is not None
    assert "我马上帮您查清楚。" in tree_to_text(selectors.case_tree(case))
    # the open proposal is outdated exactly as after a committee-applied revision
    open_proposal.refresh_from_db()
    assert open_proposal.status == Proposal.Status.STALE and open_proposal.decided_at is not None
    assert ReviewEvent.objects.filter(proposal=open_proposal, kind=ReviewEvent.Kind.STALE).exists()
    # the history: version, reason, author and the diff
    page = client.get(reverse("casebase:catalogue_detail", args=[case.pk])).content.decode()
    assert "更正客服用语" in page and ops_manager.name in page
    assert "+ " in page and "我马上帮您查清楚。" in page
    version = selectors.case_versions(case)[0]
    assert (
        version.version == 2 and version.actor == ops_manager and version.reason == "更正客服用语"
    )
    assert (
        "-",
        "  客服*: 非常理解您着急，我马上帮您查。 | 出发点: 先安抚情绪; 表明立即行动",
    ) in version.diff
    record = case.history.first()
    assert record.version == 2 and record.history_user == ops_manager


def test_a_direct_revision_on_an_old_version_is_refused(api, ops_manager):
    case = CaseFactory()
    api.force_authenticate(ops_manager)
    url = reverse("api-cases-catalogue-revise", args=[case.pk])
    body = {
        "base_version": 1,
        "title": case.title,
        "category_id": case.category_id,
        "background": case.background,
        "tree": sample_tree(),
        "reason": "r",
    }
    assert api.post(url, body, format="json").status_code == 400  # changes nothing
    body["title"] = "新标题"
    assert api.post(url, body, format="json").status_code == 200
    stale = api.post(url, {**body, "title": "再改"}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "outdated_base_version"
    assert Case.objects.get(pk=case.pk).title == "新标题"


def test_retiring_hides_the_case_from_study_and_exams_and_keeps_its_history(
    client, csr, ops_manager
):
    training = CaseFactory(level=1)
    test_case = CaseFactory(level=1, split="test")
    proposal = revision_proposal(csr, training)
    RetirementCandidate.objects.create(
        case=training, classicness_snapshot=0, constant_days_snapshot=1
    )
    client.force_login(ops_manager)
    for case in (training, test_case):
        response = client.post(
            reverse("casebase:maintain_retire", args=[case.pk]), {"reason": "业务已下线"}
        )
        assert response.status_code == 302
    assert not selectors.study_cases(csr).filter(pk=training.pk).exists()
    assert not selectors.exam_pool(1).filter(pk=test_case.pk).exists()
    training.refresh_from_db()
    assert training.status == Case.Status.HISTORY and training.retired_at is not None
    assert list(training.events.values_list("kind", flat=True)) == ["retired", "created"]
    assert (
        training.history.count() == 2
        and training.history.first().history_change_reason == "业务已下线"
    )
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.STALE
    assert training.retirement_candidates.get().status == RetirementCandidate.Status.CONFIRMED
    with pytest.raises(CaseConflict):
        case_maintain_retire(user=ops_manager, case_id=training.pk, reason="again")


# --- test cases: who sees them, and the exposure ---------------------------------------------


def test_a_maintainer_who_sits_exams_never_sees_a_test_case_they_may_be_examined_on(client, api):
    maintainer = grant_maintain(UserFactory(level=2, roles=["CSR"]))
    below, own, above = (CaseFactory(level=n, split="test") for n in (1, 2, 3))
    client.force_login(maintainer)
    api.force_authenticate(maintainer)
    for case in (own, above):
        assert client.get(reverse("casebase:catalogue_detail", args=[case.pk])).status_code == 404
        assert client.get(reverse("casebase:maintain_edit", args=[case.pk])).status_code == 404
        assert api.get(reverse("api-cases-catalogue-detail", args=[case.pk])).status_code == 404
        body = {
            "base_version": 1,
            "title": "偷看",
            "category_id": case.category_id,
            "tree": sample_tree(),
            "reason": "r",
        }
        assert (
            api.post(
                reverse("api-cases-catalogue-revise", args=[case.pk]), body, format="json"
            ).status_code
            == 404
        )
    listed = api.get(reverse("api-cases-catalogue"), {"split": "test"}).json()
    assert [row["id"] for row in listed["results"]] == [below.pk]
    assert not CaseExposure.objects.filter(employee=maintainer).exists()
    # a level below theirs: shown, and recorded like any other viewer's
    assert client.get(reverse("casebase:catalogue_detail", args=[below.pk])).status_code == 200
    assert below.pk in selectors.cases_known_to(maintainer)


def test_an_operations_manager_reading_or_editing_a_test_case_is_recorded_as_exposed(
    client, api, ops_manager
):
    read, edited = CaseFactory(level=3, split="test"), CaseFactory(level=3, split="test")
    api.force_authenticate(ops_manager)
    assert api.get(reverse("api-cases-catalogue-detail", args=[read.pk])).status_code == 200
    case_maintain_revise(
        user=ops_manager,
        case_id=edited.pk,
        base_version=1,
        reason="r",
        title="改过",
        category_id=edited.category_id,
        background="b",
        tree=sample_tree(),
    )
    assert {read.pk, edited.pk} <= selectors.cases_known_to(ops_manager)


# --- admin goes through the same services -----------------------------------------------------


def admin_change_form(case, **changes):
    return {
        "title": case.title,
        "category": case.category_id,
        "level": case.level,
        "split": case.split,
        "background": case.background,
        "transcript": "",
        "premise": "",
        "tree_text": EDITED_TREE_TEXT,
        "change_reason": "后台更正",
        "nodes-TOTAL_FORMS": 0,
        "nodes-INITIAL_FORMS": 0,
        **changes,
    }


def test_an_admin_change_is_a_maintainer_revision(client, csr):
    case = CaseFactory()
    proposal = revision_proposal(csr, case)
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        reverse("admin:casebase_case_change", args=[case.pk]), admin_change_form(case)
    )
    assert response.status_code == 302, response.content.decode()[-1500:]
    case.refresh_from_db()
    assert case.version == 2
    event = case.events.get(kind=CaseEvent.Kind.REVISED)
    assert (
        event.actor == admin and event.data["via"] == "admin" and event.data["reason"] == "后台更正"
    )
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.STALE
    # nodes are never edited one by one (that wrote a tree without a new version)
    node = case.nodes.first()
    assert (
        client.post(
            reverse("admin:casebase_casenode_change", args=[node.pk]), {"text": "偷改"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("admin:casebase_case_delete", args=[case.pk]), {"post": "yes"}
        ).status_code
        == 403
    )


def test_the_admin_move_to_history_action_uses_the_retire_service(client, csr):
    case = CaseFactory()
    proposal = revision_proposal(csr, case)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    client.post(
        reverse("admin:casebase_case_changelist"),
        {"action": "move_to_history", "_selected_action": [case.pk]},
    )
    case.refresh_from_db()
    proposal.refresh_from_db()
    assert case.status == Case.Status.HISTORY and proposal.status == Proposal.Status.STALE


def test_admin_staff_without_the_permission_cannot_change_cases(client, training_manager):
    case = CaseFactory()
    client.force_login(training_manager)
    response = client.post(
        reverse("admin:casebase_case_change", args=[case.pk]), admin_change_form(case)
    )
    assert response.status_code == 403
    assert Case.objects.get(pk=case.pk).version == 1


# --- recordings: maintainers only; CSRs suggest calls --------------------------------------------


def test_only_maintainers_upload_recordings(client, api, csr):
    client.force_login(csr)
    form = {
        "title": "录音",
        "category": category().pk,
        "suggested_level": 1,
        "audio": wav_upload(),
        "premise": "service_defect",
        "emotion_grade": 2,
        "transcript": "",
        "reason": "r",
    }
    assert client.post(reverse("casebase:propose_voice"), form).status_code == 403
    api.force_authenticate(csr)
    response = api.post(
        reverse("api-cases-voice-proposals"),
        {**form, "audio": wav_upload(), "category_id": category().pk},
        format="multipart",
    )
    assert response.status_code == 403 and response.json()["code"] == "recording_maintainers_only"
    assert not Proposal.objects.exists()
    # a revision of a voice case: the CSR's page has no upload, the service refuses one
    case = voice_case()
    page = client.get(reverse("casebase:revise", args=[case.pk])).content.decode()
    assert 'type="file"' not in page
    with pytest.raises(CasePermissionDenied):
        case_revision_propose(
            proposer=csr,
            case_id=case.pk,
            base_version=1,
            reason="r",
            title="t",
            category_id=case.category_id,
            premise="service_defect",
            emotion_grade=2,
            transcript="",
            audio=wav_upload(),
        )


def test_a_maintainer_enters_a_voice_case_with_its_recording(api, ops_manager):
    api.force_authenticate(ops_manager)
    response = api.post(
        reverse("api-cases-catalogue-voice"),
        {
            "title": "录音入库",
            "category_id": category().pk,
            "level": 2,
            "split": "training",
            "audio": wav_upload(),
            "premise": "emotion_turned",
            "emotion_grade": 3,
            "reason": "真实来电",
        },
        format="multipart",
    )
    assert response.status_code == 201
    case = Case.objects.get(title="录音入库")
    assert (
        case.kind == "voice"
        and case.audio.name.startswith("casebase/audio/")
        and case.author == ops_manager
    )


def test_csrs_suggest_calls_by_reference_and_maintainers_decide(client, api, csr, ops_manager):
    api.force_authenticate(csr)
    url = reverse("api-cases-calls")
    created = api.post(url, {"call_ref": "CR-20261120-0815", "reason": "情绪扭转"}, format="json")
    assert created.status_code == 201 and created.json()["status"] == "pending"
    phone = api.post(url, {"call_ref": "13800138000", "reason": "r"}, format="json")
    assert phone.status_code == 400 and "call_ref" in phone.json()["fields"]
    again = api.post(url, {"call_ref": "CR-20261120-0815", "reason": "r"}, format="json")
    assert again.status_code == 409
    assert api.get(url).status_code == 403  # the list is for maintainers
    client.force_login(csr)
    assert client.get(reverse("casebase:calls")).status_code == 403
    suggestion = CallSuggestion.objects.get()
    assert (
        client.post(
            reverse("casebase:call_decide", args=[suggestion.pk]), {"accept": "1"}
        ).status_code
        == 403
    )
    # the maintainer accepts it, linking the voice case made from it; decided once
    case = voice_case()
    client.force_login(ops_manager)
    assert suggestion.call_ref in client.get(reverse("casebase:calls")).content.decode()
    client.post(
        reverse("casebase:call_decide", args=[suggestion.pk]), {"accept": "1", "case_id": case.pk}
    )
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.case, suggestion.decided_by) == (
        "accepted",
        case,
        ops_manager,
    )
    with pytest.raises(CaseConflict):
        call_suggestion_decide(user=ops_manager, suggestion_id=suggestion.pk, accept=False)


def test_one_csr_cannot_flood_the_suggested_calls(csr):
    CaseLibrarySettings.objects.filter(pk=1).update(max_pending_call_suggestions=2)
    for n in range(2):
        call_suggest(user=csr, call_ref=f"CR-{n:04d}", reason="r")
    with pytest.raises(CaseConflict):
        call_suggest(user=csr, call_ref="CR-9999", reason="r")


# --- reflections and the trainer's commentary -------------------------------------------------


def test_reflections_are_hidden_until_a_moderator_approves_them(client, api, csr, ops_manager):
    case = voice_case()
    colleague = UserFactory(roles=["CSR"])
    api.force_authenticate(csr)
    url = reverse("api-cases-reflections", args=[case.pk])
    not_studied = api.post(url, {"text": "体会"}, format="json")
    assert not_studied.status_code == 409 and not_studied.json()["code"] == "not_studied"
    CaseStudy.objects.create(employee=csr, case=case)
    assert api.post(url, {"text": "先听完再确认需求"}, format="json").status_code == 201
    assert api.post(url, {"text": "再写一条"}, format="json").status_code == 409
    reflection = CaseReflection.objects.get()
    assert reflection.status == CaseReflection.Status.PENDING
    # the writer sees it as awaiting moderation; a colleague does not see it
    client.force_login(csr)
    assert (
        "先听完再确认需求"
        in client.get(reverse("casebase:case_detail", args=[case.pk])).content.decode()
    )
    client.force_login(colleague)
    assert (
        "先听完再确认需求"
        not in client.get(reverse("casebase:case_detail", args=[case.pk])).content.decode()
    )
    # a CSR cannot moderate (own or other)
    api.force_authenticate(csr)
    assert (
        api.post(
            reverse("api-cases-reflection-moderate", args=[reflection.pk]),
            {"approve": True},
            format="json",
        ).status_code
        == 403
    )
    # approved: everyone sees it; hidden again: gone
    client.force_login(ops_manager)
    client.post(reverse("casebase:reflection_moderate", args=[reflection.pk]), {"approve": "1"})
    client.force_login(colleague)
    assert (
        "先听完再确认需求"
        in client.get(reverse("casebase:case_detail", args=[case.pk])).content.decode()
    )
    reflection_moderate(user=ops_manager, reflection_id=reflection.pk, approve=False)
    assert (
        "先听完再确认需求"
        not in client.get(reverse("casebase:case_detail", args=[case.pk])).content.decode()
    )


def test_reflections_belong_to_voice_cases(csr):
    case = CaseFactory()
    CaseStudy.objects.create(employee=csr, case=case)
    with pytest.raises(CaseError):
        reflection_add(employee=csr, case_id=case.pk, text="体会")


def test_the_trainer_writes_one_current_commentary_with_history(client, api, csr, training_manager):
    case = voice_case()
    api.force_authenticate(csr)
    url = reverse("api-cases-commentary", args=[case.pk])
    assert api.put(url, {"text": "我来点评"}, format="json").status_code == 403
    client.force_login(csr)
    assert client.get(reverse("casebase:commentary_edit", args=[case.pk])).status_code == 403
    api.force_authenticate(training_manager)
    assert api.put(url, {"text": "第一版点评"}, format="json").status_code == 200
    client.force_login(training_manager)
    client.post(reverse("casebase:commentary_edit", args=[case.pk]), {"text": "第二版点评"})
    commentary = case.commentary
    commentary.refresh_from_db()
    assert commentary.text == "第二版点评" and commentary.history.count() == 2
    assert (
        "第一版点评"
        in client.get(reverse("casebase:commentary_edit", args=[case.pk])).content.decode()
    )
    client.force_login(csr)
    page = client.get(reverse("casebase:case_detail", args=[case.pk])).content.decode()
    assert "第二版点评" in page and "第一版点评" not in page


def test_the_study_api_shows_a_voice_case_with_its_reflections_and_commentary(
    api, csr, ops_manager, training_manager
):
    case = voice_case()
    CaseStudy.objects.create(employee=csr, case=case)
    reflection = reflection_add(employee=csr, case_id=case.pk, text="先听完")
    reflection_moderate(user=ops_manager, reflection_id=reflection.pk, approve=True)
    commentary_set(user=training_manager, case_id=case.pk, text="倾听是关键")
    api.force_authenticate(UserFactory(roles=["CSR"]))
    body = api.get(reverse("api-cases-study-detail", args=[case.pk])).json()
    assert [r["text"] for r in body["reflections"]] == ["先听完"] and body["commentary"][
        "text"
    ] == "倾听是关键"


def test_the_history_page_takes_the_same_queries_for_any_number_of_versions(
    client, csr, ops_manager, django_assert_num_queries
):
    case = CaseFactory()
    client.force_login(ops_manager)
    url = reverse("casebase:catalogue_detail", args=[case.pk])

    def revise(n):
        current = Case.objects.get(pk=case.pk)
        revision_proposal(csr, current)
        case_maintain_revise(
            user=ops_manager,
            case_id=case.pk,
            base_version=current.version,
            reason=f"第{n}次",
            title=f"标题{n}",
            category_id=case.category_id,
            background="b",
            tree=sample_tree(),
        )

    revise(1)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(2, 6):
        revise(n)
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(url)
    assert page.content.decode().count('class="version"') == 6
