import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.staff_ids import staff_ids_parse
from accounts.tests.factories import UserFactory
from casebase.models import Case, CaseEvent
from casebase.services.audio import audio_validate
from casebase.services.errors import AudioInvalid, CaseError, ParticipantsInvalid
from casebase.services.proposals import case_new_propose, case_revision_propose
from casebase.tests.factories import (
    SAMPLE_TREE_TEXT,
    CaseFactory,
    category,
    grant_maintain,
    sample_tree,
    wav_upload,
)
from review.models import Proposal
from review.services import OutdatedBaseVersion, ReviewError, ReviewPermissionDenied, proposal_vote
from review.tests.factories import committee_member

pytestmark = pytest.mark.django_db


def text_form(**changes):
    return {
        "title": "停机投诉安抚",
        "category": category().pk,
        "suggested_level": 2,
        "background": "客户因欠费停机，正在出差。",
        "tree": SAMPLE_TREE_TEXT,
        "reason": "典型案例",
        **changes,
    }


def approve(proposal, member, level=None, split=None, points=None):
    """An approval with the member's points for the proposer (and a new case's grading)."""
    extra = {"level": level, "split": split} if level else {}
    extra["points"] = points or (30 if proposal.kind == "case_new" else 10)
    return proposal_vote(
        proposal_id=proposal.pk, reviewer=member, decision="approve", comment="", extra=extra
    )


def test_web_proposal_of_a_text_case_is_graded_by_three_reviewers(client, csr):
    # given
    client.force_login(csr)
    response = client.post(reverse("casebase:propose_text"), text_form())
    assert response.status_code == 302
    proposal = Proposal.objects.get(kind="case_new")
    members = [committee_member() for _ in range(3)]
    # when: two reviewers say level 3 / test, one says level 2 / training
    approve(proposal, members[0], 3, "test")
    approve(proposal, members[1], 2, "training")
    assert not Case.objects.exists()
    approve(proposal, members[2], 3, "test")
    # then: the median level and the majority set
    proposal.refresh_from_db()
    case = Case.objects.get()
    assert proposal.status == "applied" and proposal.target_id == case.pk
    assert (case.level, case.split, case.author, case.version) == (3, "test", csr, 1)
    assert case.nodes.count() == 7
    assert CaseEvent.objects.filter(case=case, kind="created").exists()
    assert case.history.count() == 1


def test_an_approval_of_a_new_case_needs_level_and_set(csr):
    proposal = case_new_propose(
        proposer=csr,
        kind="text",
        title="t",
        category_id=category().pk,
        reason="r",
        tree=sample_tree(),
    )
    with pytest.raises(ReviewError, match="Level: This field is required."):
        approve(proposal, committee_member())
    with pytest.raises(ReviewError, match="Set: Select a valid choice"):
        proposal_vote(
            proposal_id=proposal.pk,
            reviewer=committee_member(),
            decision="approve",
            extra={"level": 2, "split": "exam", "points": 30},
        )
    # a rejection needs no grading
    proposal_vote(
        proposal_id=proposal.pk, reviewer=committee_member(), decision="reject", comment="不典型"
    )


def test_the_proposer_cannot_grade_their_own_case():
    member = committee_member()
    proposal = case_new_propose(
        proposer=member,
        kind="text",
        title="t",
        category_id=category().pk,
        reason="r",
        tree=sample_tree(),
    )
    with pytest.raises(ReviewPermissionDenied):
        approve(proposal, member, 2, "training")


def test_web_form_shows_line_numbered_tree_errors(client, csr):
    client.force_login(csr)
    bad = (
        "客户: 问题\n  客服: 回复 | 出发点: a\n    客服: 再回复 | 出发点: b | 结果: x | 最终状态: y"
    )
    response = client.post(reverse("casebase:propose_text"), text_form(tree=bad))
    assert response.status_code == 200
    assert (
        "line 3: a CSR reply cannot follow a CSR reply." in response.context["form"].errors["tree"]
    )
    assert not Proposal.objects.exists()


def test_review_pages_show_a_case_proposal_with_its_tree_and_the_grading_fields(client, csr):
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
    queue = client.get(reverse("review:queue")).content.decode()
    assert "停机投诉" in queue
    page = client.get(reverse("review:proposal_detail", args=[proposal.pk]))
    html = page.content.decode()
    assert "我的话费怎么多扣了50元？" in html and "先安抚情绪" in html
    assert page.context["extra_form"] is not None and 'name="split"' in html
    # when: the member approves through the web with the grading fields
    response = client.post(
        reverse("review:proposal_vote", args=[proposal.pk]),
        {"decision": "approve", "level": "2", "split": "training", "points": "35"},
    )
    assert response.status_code == 302
    assert proposal.events.get(kind="voted").data["extra"] == {
        "level": 2,
        "split": "training",
        "points": 35,
    }


def test_revision_is_applied_after_three_approvals_and_resets_constant_time(csr):
    case = CaseFactory(level=1)
    tree = sample_tree()
    tree["children"][0]["text"] = "您别着急，我这就帮您查明细。"
    proposal = case_revision_propose(
        proposer=csr,
        case_id=case.pk,
        base_version=1,
        reason="更自然",
        title=case.title,
        category_id=case.category_id,
        background=case.background,
        tree=tree,
    )
    for _ in range(3):
        approve(proposal, committee_member())
    case.refresh_from_db()
    proposal.refresh_from_db()
    assert proposal.status == "applied" and case.version == 2 and case.revised_at is not None
    assert (
        case.nodes.get(parent__isnull=True).children.get(is_best=True).text
        == "您别着急，我这就帮您查明细。"
    )
    assert case.history.count() == 2
    assert case.nodes.first().history.exists()


def test_a_second_revision_on_the_same_version_goes_stale(csr):
    case = CaseFactory(level=1)

    def propose(title):
        return case_revision_propose(
            proposer=csr,
            case_id=case.pk,
            base_version=1,
            reason="r",
            title=title,
            category_id=case.category_id,
            background=case.background,
            tree=sample_tree(),
        )

    first, second = propose("新标题一"), propose("新标题二")
    for _ in range(3):
        approve(first, committee_member())
    second.refresh_from_db()
    assert second.status == "stale"
    with pytest.raises(OutdatedBaseVersion):
        propose("新标题三")


def test_a_revision_that_changes_nothing_is_refused(csr):
    case = CaseFactory(level=1)
    with pytest.raises(CaseError, match="The proposal changes nothing."):
        case_revision_propose(
            proposer=csr,
            case_id=case.pk,
            base_version=1,
            reason="r",
            title=case.title,
            category_id=case.category_id,
            background=case.background,
            tree=sample_tree(),
        )


def test_revision_page_is_prefilled_and_404_for_a_test_case(client, csr):
    case = CaseFactory(level=1)
    exam_case = CaseFactory(level=1, split="test")
    client.force_login(csr)
    page = client.get(reverse("casebase:revise", args=[case.pk]))
    assert "客服*: 非常理解您着急" in page.content.decode()
    assert client.get(reverse("casebase:revise", args=[exam_case.pk])).status_code == 404
    response = client.post(
        reverse("casebase:revise", args=[case.pk]),
        {
            "base_version": 1,
            "title": "改后的标题",
            "category": case.category_id,
            "background": case.background,
            "tree": SAMPLE_TREE_TEXT,
            "reason": "标题更准确",
        },
    )
    assert response.status_code == 302
    assert Proposal.objects.get(kind="case_revision").payload["title"] == "改后的标题"
    mine = client.get(reverse("casebase:my_proposals"))
    assert "改后的标题" in mine.content.decode()


# --- voice ----------------------------------------------------------------------------


def voice_form(audio, **changes):
    return {
        "title": "情绪扭转录音",
        "category": category().pk,
        "suggested_level": 3,
        "audio": audio,
        "premise": "emotion_turned",
        "emotion_grade": 4,
        "transcript": "客户：……",
        "reason": "好案例",
        **changes,
    }


def test_a_valid_wav_is_accepted_and_stored_under_media_root(client, csr, settings):
    client.force_login(grant_maintain(csr))
    response = client.post(reverse("casebase:propose_voice"), voice_form(wav_upload(seconds=2)))
    assert response.status_code == 302
    payload = Proposal.objects.get().payload
    assert payload["duration_seconds"] == 2 and payload["audio"].endswith(".wav")
    assert (settings.MEDIA_ROOT / payload["audio"]).exists()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("call.wav", b"this is not audio at all" * 10),
            "The file is not a readable MP3, WAV, OGG or M4A recording.",
        ),
        (SimpleUploadedFile("call.txt", b"hello"), "Upload an MP3, WAV, OGG or M4A file."),
    ],
)
def test_a_bad_file_is_a_form_error_not_a_500(client, csr, upload, message):
    client.force_login(grant_maintain(csr))
    response = client.post(reverse("casebase:propose_voice"), voice_form(upload))
    assert response.status_code == 200
    assert response.context["form"].errors["audio"] == [message]


def test_too_long_and_too_large_recordings_are_refused(csr):
    from casebase.models import CaseLibrarySettings

    CaseLibrarySettings.objects.filter(pk=1).update(audio_max_seconds=1)
    with pytest.raises(AudioInvalid, match="longer than 1 seconds"):
        audio_validate(wav_upload(seconds=2))
    CaseLibrarySettings.objects.filter(pk=1).update(audio_max_seconds=60, audio_max_bytes=100)
    with pytest.raises(AudioInvalid, match="larger than"):
        audio_validate(wav_upload(seconds=1))


def test_a_wav_renamed_to_mp3_is_refused():
    with pytest.raises(AudioInvalid):
        audio_validate(wav_upload(name="call.mp3"))


def test_api_voice_proposal_400_for_non_audio_and_201_for_wav(api, csr):
    api.force_authenticate(grant_maintain(csr))
    url = reverse("api-cases-voice-proposals")
    bad = api.post(
        url,
        {**voice_form(SimpleUploadedFile("x.ogg", b"garbage")), "category_id": category().pk},
        format="multipart",
    )
    assert bad.status_code == 400
    assert bad.json() == {
        "detail": "The file is not a readable MP3, WAV, OGG or M4A recording.",
        "code": "invalid",
        "fields": {"audio": ["The file is not a readable MP3, WAV, OGG or M4A recording."]},
    }
    good = api.post(
        url, {**voice_form(wav_upload()), "category_id": category().pk}, format="multipart"
    )
    assert good.status_code == 201 and good.json()["kind"] == "case_new"


def test_approved_voice_case_is_playable_on_the_study_page(client, csr):
    proposal = case_new_propose(
        proposer=grant_maintain(committee_member()),
        kind="voice",
        title="录音",
        category_id=category().pk,
        reason="r",
        audio=wav_upload(),
        premise="service_defect",
        emotion_grade=2,
        transcript="客服：您好",
    )
    for _ in range(3):
        approve(proposal, committee_member(), 1, "training")
    case = Case.objects.get()
    client.force_login(csr)
    page = client.get(reverse("casebase:case_detail", args=[case.pk])).content.decode()
    assert f'<audio controls preload="metadata" src="/cases/recordings/{case.pk}/"' in page
    assert "/media/" not in page
    heard = client.get(f"/cases/recordings/{case.pk}/")
    assert heard.status_code == 200 and b"".join(heard.streaming_content)[:4] == b"RIFF"


# --- API proposals ------------------------------------------------------------------------


def test_api_proposal_of_an_invalid_tree_is_400_with_field_messages(api, csr):
    api.force_authenticate(csr)
    body = {
        "kind": "case_new",
        "title": "t",
        "category_id": category().pk,
        "suggested_level": 1,
        "reason": "r",
        "tree": {
            "role": "csr",
            "text": "您好",
            "rationales": ["礼貌"],
            "outcome": "x",
            "final_state": "y",
        },
    }
    response = api.post(reverse("api-cases-proposals"), body, format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "tree": ["root: the first turn must be the customer's question."]
    }
    # the same kind through the review engine's generic endpoint
    generic = api.post(reverse("api-review-proposals"), body, format="json")
    assert generic.status_code == 400 and "tree" in generic.json()["fields"]


def test_api_creates_new_case_and_revision_proposals(api, csr, hr):
    case = CaseFactory(level=1)
    api.force_authenticate(csr)
    url = reverse("api-cases-proposals")
    new = api.post(
        url,
        {
            "kind": "case_new",
            "title": "新案例",
            "category_id": category().pk,
            "suggested_level": 1,
            "reason": "r",
            "tree": sample_tree(),
        },
        format="json",
    )
    assert new.status_code == 201
    revision = {
        "kind": "case_revision",
        "case_id": case.pk,
        "base_version": 1,
        "title": "改",
        "reason": "r",
        "category_id": case.category_id,
        "tree": sample_tree(),
    }
    assert api.post(url, revision, format="json").status_code == 201
    assert api.post(url, {**revision, "base_version": 0}, format="json").status_code == 409
    assert api.post(url, {**revision, "case_id": 999999}, format="json").status_code == 404
    assert api.post(url, {"kind": "nope"}, format="json").status_code == 400
    assert api.get(url).status_code == 405
    api.force_authenticate(hr)
    assert api.post(url, revision, format="json").status_code == 403


def test_reviewers_must_choose_the_proposers_points_when_approving(csr):
    proposal = case_new_propose(
        proposer=csr,
        kind="text",
        title="t",
        category_id=category().pk,
        reason="r",
        tree=sample_tree(),
    )
    proposal_vote(
        proposal_id=proposal.pk,
        reviewer=committee_member(),
        decision="approve",
        extra={"level": 2, "split": "training", "points": 30},
    )
    assert proposal.events.get(kind="voted").data["extra"] == {
        "level": 2,
        "split": "training",
        "points": 30,
    }
    with pytest.raises(
        ReviewError,
        match="^Points for the proposer: Choose the points from 20 to 50; -1 is outside",
    ):
        proposal_vote(
            proposal_id=proposal.pk,
            reviewer=committee_member(),
            decision="approve",
            extra={"level": 2, "split": "training", "points": -1},
        )
    with pytest.raises(
        ReviewError, match="^Points for the proposer: Choose the points: 20 to 50.$"
    ):
        proposal_vote(
            proposal_id=proposal.pk,
            reviewer=committee_member(),
            decision="approve",
            extra={"level": 2, "split": "training"},
        )


# --- other participants -------------------------------------------------------------------


def colleagues(n):
    return [UserFactory(roles=["CSR"]) for _ in range(n)]


def bad_participants(csr):
    """(staff IDs as typed, exact message) for each refused input."""
    five = [u.staff_id for u in colleagues(5)]
    UserFactory(staff_id="GONE01", is_active=False)
    return [
        ("NOBODY9", "No active employee has the staff ID NOBODY9."),
        ("gone01", "No active employee has the staff ID GONE01."),
        (
            csr.staff_id.lower(),
            f"{csr.staff_id} is your own staff ID; name only the colleagues who worked with you.",
        ),
        (f"{five[0]}, {five[0].lower()}", f"{five[0]} is named twice."),
        (" ".join(five), f"Name at most 4 other participants; {five[4]} is one too many."),
    ]


def test_named_participants_are_stored_as_user_pks_in_any_separator_and_case(csr):
    # given
    a, b, c = colleagues(3)
    # when
    proposal = case_new_propose(
        proposer=csr,
        kind="text",
        title="t",
        category_id=category().pk,
        reason="r",
        tree=sample_tree(),
        participants=staff_ids_parse(f"{a.staff_id.lower()}，{b.staff_id}\n {c.staff_id}"),
    )
    # then
    assert proposal.payload["participants"] == [a.pk, b.pk, c.pk]


def test_the_service_refuses_bad_participants_with_an_exact_message(csr):
    for typed, message in bad_participants(csr):
        with pytest.raises(ParticipantsInvalid) as caught:
            case_new_propose(
                proposer=csr,
                kind="text",
                title="t",
                category_id=category().pk,
                reason="r",
                tree=sample_tree(),
                participants=staff_ids_parse(typed),
            )
        assert str(caught.value) == message
    case = CaseFactory(level=1)
    with pytest.raises(ParticipantsInvalid, match="No active employee has the staff ID NOBODY9."):
        case_revision_propose(
            proposer=csr,
            case_id=case.pk,
            base_version=1,
            reason="r",
            title="新",
            category_id=case.category_id,
            tree=sample_tree(),
            participants=["nobody9"],
        )
    assert not Proposal.objects.exists()


def test_the_web_forms_show_a_bad_participant_as_a_field_error(client, csr):
    # given: a CSR who may also upload recordings (a case maintainer)
    client.force_login(grant_maintain(csr))
    case = CaseFactory(level=1)
    revision = {
        "base_version": 1,
        "title": "改后的标题",
        "category": case.category_id,
        "background": case.background,
        "tree": SAMPLE_TREE_TEXT,
        "reason": "标题更准确",
    }
    for typed, message in bad_participants(csr):
        # when
        new = client.post(reverse("casebase:propose_text"), text_form(participants=typed))
        revised = client.post(
            reverse("casebase:revise", args=[case.pk]), {**revision, "participants": typed}
        )
        voice = client.post(
            reverse("casebase:propose_voice"), voice_form(wav_upload(), participants=typed)
        )
        # then
        for response in (new, revised, voice):
            assert response.status_code == 200
            assert response.context["form"].errors["participants"] == [message]
    assert not Proposal.objects.exists()
    # a valid list goes through
    other = colleagues(1)[0]
    assert (
        client.post(
            reverse("casebase:propose_text"), text_form(participants=other.staff_id)
        ).status_code
        == 302
    )
    assert Proposal.objects.get().payload["participants"] == [other.pk]


def test_the_api_answers_a_bad_participant_with_400_and_a_field_message(api, csr):
    # given
    api.force_authenticate(csr)
    case = CaseFactory(level=1)
    new = {
        "kind": "case_new",
        "title": "新案例",
        "category_id": category().pk,
        "suggested_level": 1,
        "reason": "r",
        "tree": sample_tree(),
    }
    revision = {
        "kind": "case_revision",
        "case_id": case.pk,
        "base_version": 1,
        "title": "改",
        "reason": "r",
        "category_id": case.category_id,
        "tree": sample_tree(),
    }
    for typed, message in bad_participants(csr):
        for url, body in [
            (reverse("api-cases-proposals"), new),
            (reverse("api-cases-proposals"), revision),
            (reverse("api-review-proposals"), new),
            (reverse("api-review-proposals"), revision),
        ]:
            # when
            response = api.post(url, {**body, "participants": typed}, format="json")
            # then
            assert response.status_code == 400
            assert response.json() == {
                "detail": message,
                "code": "invalid",
                "fields": {"participants": [message]},
            }
        voice = api.post(
            reverse("api-cases-voice-proposals"),
            {**voice_form(wav_upload()), "category_id": category().pk, "participants": typed},
            format="multipart",
        )
        assert voice.status_code == 400 and voice.json()["fields"] == {"participants": [message]}
    assert (
        api.post(
            reverse("api-cases-proposals"), {**new, "participants": 5}, format="json"
        ).status_code
        == 400
    )
    assert not Proposal.objects.exists()
    # a list of staff IDs is accepted too
    other = colleagues(1)[0]
    created = api.post(
        reverse("api-cases-proposals"),
        {**new, "participants": [other.staff_id.lower()]},
        format="json",
    )
    assert created.status_code == 201
    assert Proposal.objects.get().payload["participants"] == [other.pk]


def test_the_review_page_lists_the_participants_and_asks_for_points_in_the_rules_range_not_an_outstanding_flag(  # noqa: E501
    client, csr
):
    other = colleagues(1)[0]
    proposal = case_new_propose(
        proposer=csr,
        kind="text",
        title="t",
        category_id=category().pk,
        reason="r",
        tree=sample_tree(),
        participants=[other.staff_id],
    )
    client.force_login(committee_member())
    html = client.get(
        reverse("review:proposal_detail", args=[proposal.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert f"{other.name} ({other.staff_id})" in html
    assert 'name="outstanding"' not in html  # quality-case review is a separate application now
    assert (
        'name="points"' in html
        and 'min="20"' in html
        and 'max="50"' in html
        and "20 to 50 points" in html
    )
    client.post(
        reverse("review:proposal_vote", args=[proposal.pk]),
        {
            "decision": "approve",
            "level": "2",
            "split": "training",
            "points": "40",
            "outstanding": "on",
        },
    )
    assert proposal.events.get(kind="voted").data["extra"] == {
        "level": 2,
        "split": "training",
        "points": 40,
    }


def test_the_service_refuses_a_test_case_when_the_caller_forgets_the_study_scope(csr):
    # given a test case and a training case of the CSR's next level
    exam_case = CaseFactory(level=1, split="test")
    training_case = CaseFactory(level=1)
    # when a caller leaves out visible_cases, the proposer's study scope still applies
    with pytest.raises(Case.DoesNotExist):
        case_revision_propose(
            proposer=csr,
            case_id=exam_case.pk,
            base_version=exam_case.version,
            reason="更清楚",
            title="新标题",
            category_id=exam_case.category_id,
            tree=sample_tree(),
        )
    assert not Proposal.objects.filter(target_id=exam_case.pk).exists()
    proposal = case_revision_propose(
        proposer=csr,
        case_id=training_case.pk,
        base_version=training_case.version,
        reason="更清楚",
        title="新标题",
        category_id=training_case.category_id,
        tree=sample_tree(),
    )
    assert proposal.target_id == training_case.pk
