"""Recordings: who may hear them (never through /media/), the exposure of "shown in full",
the length measured from the content, the clean-up of unused files and the upload limit."""

import io
import os
import time
from datetime import timedelta

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from accounts.tests.factories import UserFactory
from casebase.models import (
    Case,
    CaseExposure,
    CaseLibrarySettings,
    RetirementCandidate,
    recordings_storage,
)
from casebase.selectors import cases_known_to
from casebase.services.audio import audio_validate, recordings_orphan_sweep
from casebase.services.content import case_create
from casebase.services.errors import AudioInvalid
from casebase.services.proposals import case_new_propose, case_revision_propose
from casebase.tasks import recordings_orphan_sweep_task
from casebase.tests.factories import (
    category,
    grant_maintain,
    mp3_upload,
    wav_bytes,
    wav_upload,
    wav_with_hidden_samples,
)
from review.models import Proposal
from review.services import proposal_vote, proposal_withdraw
from review.tests.factories import committee_member

pytestmark = pytest.mark.django_db


def voice_case(*, level: int = 1, split: str = "training", status: str = "active") -> Case:
    name = recordings_storage().save("casebase/audio/case.wav", io.BytesIO(wav_bytes(1)))
    case = case_create(
        kind="voice",
        title=f"录音{level}{split}",
        category=category(),
        level=level,
        split=split,
        audio_name=name,
        duration_seconds=1,
        premise="service_defect",
        emotion_grade=2,
        transcript="……",
    )
    if status != "active":
        Case.objects.filter(pk=case.pk).update(status=status)
        case.refresh_from_db()
    return case


def voice_proposal(proposer, **kwargs) -> Proposal:
    return case_new_propose(
        proposer=grant_maintain(proposer),
        kind="voice",
        title="录音提案",
        category_id=category().pk,
        reason="典型",
        audio=kwargs.pop("audio", None) or wav_upload(),
        premise="service_defect",
        emotion_grade=2,
        transcript="客服：您好",
        **kwargs,
    )


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- who may hear a recording ----------------------------------------------------------------


def test_recordings_are_not_served_from_media(client, csr, settings):
    # given: a stored recording (DEBUG on, as in development)
    case = voice_case()
    client.force_login(csr)
    # when / then: /media/ has no route (not even with DEBUG); the checked view serves it
    with pytest.raises(Resolver404):
        resolve(f"/media/{case.audio.name}")
    assert client.get(f"/media/{case.audio.name}").status_code == 404
    response = client.get(reverse("casebase:recording", args=[case.pk]))
    assert response.status_code == 200 and body(response)[:4] == b"RIFF"
    assert response["Content-Type"] == "audio/x-wav" and "no-store" in response["Cache-Control"]


def test_the_urlconf_has_no_media_route_even_in_debug_mode(settings):
    import importlib

    import config.urls

    settings.DEBUG = (
        True  # pytest-django runs tests with DEBUG off: build the URLconf as `make run` does
    )
    try:
        patterns = [str(p.pattern) for p in importlib.reload(config.urls).urlpatterns]
    finally:
        settings.DEBUG = False
        importlib.reload(config.urls)
    assert not [p for p in patterns if "media" in p]


def test_a_training_recording_is_for_employees_who_may_study_the_case(client, csr):
    # given: a level-1 and a level-3 training case; the level-0 CSR studies level 1
    easy, hard = voice_case(level=1), voice_case(level=3)
    url = lambda case: reverse("casebase:recording", args=[case.pk])  # noqa: E731
    # when / then: anonymous → login; out of the study scope → 404
    assert client.get(url(easy)).status_code == 302
    client.force_login(csr)
    assert client.get(url(easy)).status_code == 200
    assert client.get(url(hard)).status_code == 404
    assert client.post(url(easy)).status_code == 405
    assert client.get(reverse("casebase:recording", args=[999999])).status_code == 404


def test_a_test_recording_is_only_for_people_who_can_no_longer_be_examined_on_it(
    client, csr, training_manager
):
    # given: a level-2 test case
    case = voice_case(level=2, split="test")
    url = reverse("casebase:recording", args=[case.pk])
    above = UserFactory(roles=["CSR"], level=3)
    at_level = UserFactory(roles=["CSR"], level=2)
    # when / then: the examinees of level 2 (below it, at it) never hear it
    for examinee in (csr, at_level):
        client.force_login(examinee)
        assert client.get(url).status_code == 404
    # a level-3 CSR and a training manager do, and the CSR's hearing is recorded
    for person in (above, training_manager):
        client.force_login(person)
        assert client.get(url).status_code == 200
    assert CaseExposure.objects.filter(employee=above, case=case).exists()
    assert case.pk in cases_known_to(above)
    assert not CaseExposure.objects.filter(employee__in=[csr, at_level]).exists()


def test_behind_nginx_the_view_answers_with_an_internal_redirect(client, csr, settings):
    settings.RECORDINGS_ACCEL_REDIRECT_PREFIX = "/protected-recordings/"
    case = voice_case()
    client.force_login(csr)
    response = client.get(reverse("casebase:recording", args=[case.pk]))
    assert response.status_code == 200 and response.content == b""
    assert response["X-Accel-Redirect"] == f"/protected-recordings/{case.audio.name}"


class PresigningStorage(FileSystemStorage):
    """Stands in for django-storages' S3Storage: url() signs for ``expire`` seconds."""

    def url(self, name, parameters=None, expire=None, http_method=None):
        return f"https://bucket.example.test/{name}?X-Amz-Expires={expire}"


def test_with_object_storage_the_view_redirects_to_a_short_lived_presigned_url(
    client, csr, settings
):
    settings.STORAGES = {
        **settings.STORAGES,
        "recordings": {
            "BACKEND": f"{__name__}.PresigningStorage",
            "OPTIONS": {"location": str(settings.MEDIA_ROOT)},
        },
    }
    settings.RECORDINGS_STORAGE, settings.RECORDINGS_URL_SECONDS = "s3", 120
    case = voice_case()
    client.force_login(csr)
    response = client.get(reverse("casebase:recording", args=[case.pk]))
    assert response.status_code == 302
    assert (
        response["Location"] == f"https://bucket.example.test/{case.audio.name}?X-Amz-Expires=120"
    )


def test_the_study_api_gives_the_checked_url_never_a_media_url(api, csr):
    case = voice_case()
    api.force_authenticate(csr)
    data = api.get(reverse("api-cases-study-detail", args=[case.pk])).json()
    assert data["audio_url"] == f"/cases/recordings/{case.pk}/"


def test_a_proposal_recording_is_for_its_proposer_the_voting_committee_and_training_managers(
    client, csr, training_manager
):
    # given: a voice proposal naming a participant (recused)
    participant = UserFactory(roles=["CSR"], staff_id="CSR777")
    proposal = voice_proposal(csr, participants=[participant.staff_id])
    member = committee_member()
    url = reverse("casebase:proposal_recording", args=[proposal.pk])
    # when / then
    for allowed in (csr, member, training_manager):
        client.force_login(allowed)
        assert client.get(url).status_code == 200, allowed
    for refused in (participant, UserFactory(roles=["CSR"]), UserFactory(roles=["Reviewer"])):
        client.force_login(refused)
        assert client.get(url).status_code == 404, refused
    # the review page plays it from the checked URL
    client.force_login(member)
    page = client.get(reverse("review:proposal_detail", args=[proposal.pk])).content.decode()
    assert f'src="{url}"' in page and "/media/" not in page


# --- "shown in full" -------------------------------------------------------------------------


def test_viewing_a_case_proposal_records_the_exposure_and_the_accepted_case_is_known(client, csr):
    # given: a text proposal; a level-3 member opens it without voting
    from casebase.tests.factories import sample_tree

    proposal = case_new_propose(
        proposer=csr,
        kind="text",
        title="新案例",
        category_id=category().pk,
        reason="典型",
        tree=sample_tree(),
    )
    viewer = committee_member(level=3)
    client.force_login(viewer)
    assert client.get(reverse("review:proposal_detail", args=[proposal.pk])).status_code == 200
    assert CaseExposure.objects.filter(employee=viewer, proposal=proposal).count() == 1
    client.get(reverse("review:proposal_detail", args=[proposal.pk]))
    assert CaseExposure.objects.filter(employee=viewer).count() == 1  # the first showing only
    # when: three others grade it into the level-4 test set
    for _ in range(3):
        proposal_vote(
            proposal_id=proposal.pk,
            reviewer=committee_member(),
            decision="approve",
            extra={"points": 30, "level": 4, "split": "test"},
        )
    # then
    case = Case.objects.get(pk=Proposal.objects.get(pk=proposal.pk).target_id)
    assert case.pk in cases_known_to(viewer)


def test_the_history_page_of_a_test_case_records_the_exposure(client, reviewer):
    # given: an active level-3 test case proposed for retirement; a level-4 reviewer opens it
    case = voice_case(level=3, split="test")
    RetirementCandidate.objects.create(case=case, classicness_snapshot=0, constant_days_snapshot=0)
    client.force_login(reviewer)
    page = client.get(reverse("casebase:history_detail", args=[case.pk])).content.decode()
    assert f'src="/cases/recordings/{case.pk}/"' in page
    assert case.pk in cases_known_to(reviewer)


# --- length measured from the content ---------------------------------------------------------


def test_an_mp3_whose_header_hides_most_of_its_frames_is_refused():
    # given: 3 000 frames (78 s) behind a Xing header claiming 1 000 (26 s); cap 60 s
    CaseLibrarySettings.objects.filter(pk=1).update(audio_max_seconds=60)
    with pytest.raises(AudioInvalid) as exc:
        audio_validate(mp3_upload(frames=3000, xing_frames=1000))
    assert exc.value.message == (
        "The recording's header says it lasts 26 seconds but its content lasts 78 seconds; "
        "export the recording again."
    )


def test_an_honest_mp3_is_measured_from_its_frames_and_capped():
    assert audio_validate(mp3_upload(frames=1000)).duration_seconds == 26
    CaseLibrarySettings.objects.filter(pk=1).update(audio_max_seconds=60)
    with pytest.raises(AudioInvalid, match="longer than 60 seconds"):
        audio_validate(mp3_upload(frames=3000))


def test_a_wav_with_samples_beyond_its_data_chunk_is_refused():
    upload = SimpleUploadedFile(
        "call.wav", wav_with_hidden_samples(1, 100), content_type="audio/wav"
    )
    with pytest.raises(AudioInvalid) as exc:
        audio_validate(upload)
    assert exc.value.message.startswith(
        "The recording's header says it lasts 1 seconds but its content lasts 100"
    )
    assert audio_validate(wav_upload(seconds=3)).duration_seconds == 3


# --- clean-up -------------------------------------------------------------------------------


def stored(name: str) -> bool:
    return recordings_storage().exists(name)


@pytest.mark.parametrize("close", ["withdraw", "reject"])
def test_a_closed_voice_proposal_loses_its_recording_after_the_commit(
    csr, close, django_capture_on_commit_callbacks
):
    proposal = voice_proposal(csr)
    name = proposal.payload["audio"]
    assert stored(name)
    with django_capture_on_commit_callbacks(execute=True):
        if close == "withdraw":
            proposal_withdraw(proposal_id=proposal.pk, user=csr)
        else:
            while Proposal.objects.get(pk=proposal.pk).is_open:
                proposal_vote(
                    proposal_id=proposal.pk,
                    reviewer=committee_member(),
                    decision="reject",
                    comment="不典型",
                )
    assert Proposal.objects.get(pk=proposal.pk).status in ("withdrawn", "rejected")
    assert not stored(name)


def test_a_withdrawn_revision_keeps_the_recording_its_case_still_uses(
    csr, django_capture_on_commit_callbacks
):
    # given: a revision of a voice case that keeps the case's recording
    case = voice_case()
    proposal = case_revision_propose(
        proposer=csr,
        case_id=case.pk,
        base_version=1,
        reason="改标题",
        title="新标题",
        category_id=case.category_id,
        premise=case.premise,
        emotion_grade=case.emotion_grade,
        transcript=case.transcript,
    )
    with django_capture_on_commit_callbacks(execute=True):
        proposal_withdraw(proposal_id=proposal.pk, user=csr)
    assert stored(case.audio.name)


def test_the_sweep_deletes_old_files_nothing_refers_to(csr, settings):
    # given: a case's file, an open proposal's file, an old orphan and a fresh orphan
    case = voice_case()
    proposal = voice_proposal(csr)
    storage = recordings_storage()
    old_orphan = storage.save("casebase/audio/old.wav", io.BytesIO(wav_bytes(1)))
    new_orphan = storage.save("casebase/audio/new.wav", io.BytesIO(wav_bytes(1)))
    two_days_ago = time.time() - 48 * 3600
    for name in (case.audio.name, proposal.payload["audio"], old_orphan):
        os.utime(storage.path(name), (two_days_ago, two_days_ago))
    # when
    result = recordings_orphan_sweep_task.delay().get()
    # then
    assert result == {"deleted": 1, "kept_recent": 1, "kept_in_use": 2}
    assert not stored(old_orphan)
    assert all(stored(n) for n in (case.audio.name, proposal.payload["audio"], new_orphan))
    # a second run changes nothing; an explicit grace of 0 takes the fresh orphan
    assert recordings_orphan_sweep_task.delay().get()["deleted"] == 0
    assert recordings_orphan_sweep(
        grace_hours=0, now=timezone.now() + timedelta(seconds=1)
    ).deleted == [new_orphan]


def test_the_sweep_is_scheduled_daily():
    task = PeriodicTask.objects.get(task="casebase.recordings_orphan_sweep_task")
    assert task.enabled and (task.crontab.hour, task.crontab.minute) == ("4", "30")


# --- one recording rule in the admin ---------------------------------------------------------


def admin_form(**changes):
    return {
        "kind": "voice",
        "title": "后台录音案例",
        "category": category().pk,
        "level": 2,
        "split": "training",
        "status": "active",
        "background": "背景",
        "transcript": "……",
        "premise": "service_defect",
        "emotion_grade": 2,
        "tree_text": "",
        "change_reason": "后台录入",
        "nodes-TOTAL_FORMS": 0,
        "nodes-INITIAL_FORMS": 0,
        **changes,
    }


def test_the_admin_applies_the_recording_rule_of_the_proposal_forms(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:casebase_case_add")

    def errors(**changes):
        response = client.post(url, admin_form(**changes))
        return (
            response.context["adminform"].form.errors.get("audio")
            if response.status_code == 200
            else None
        )

    # a voice case without a recording, a non-audio file, a text case with a file: refused
    assert errors() == ["A voice case needs a recording."]
    assert errors(audio=SimpleUploadedFile("x.wav", b"not audio" * 20)) == [
        "The file is not a readable MP3, WAV, OGG or M4A recording."
    ]
    from casebase.tests.factories import SAMPLE_TREE_TEXT

    assert errors(
        kind="text", tree_text=SAMPLE_TREE_TEXT, premise="", emotion_grade="", audio=wav_upload()
    ) == ["A text case has no recording; remove the file or make it a voice case."]
    assert not Case.objects.exists()
    # a valid recording: saved with its measured duration
    assert errors(audio=wav_upload(name="13800138000 客户.wav", seconds=2)) is None
    case = Case.objects.get()
    assert case.duration_seconds == 2 and case.audio.name.startswith("casebase/audio/")
    assert "13800138000" not in case.audio.name and case.audio.name.endswith(".wav")
    # its change page links the checked view, never /media/
    page = client.get(reverse("admin:casebase_case_change", args=[case.pk])).content.decode()
    assert f'href="/cases/recordings/{case.pk}/"' in page and "/media/" not in page


# --- the upload limit ----------------------------------------------------------------------


class Unreadable(io.RawIOBase):
    """A request body that fails the test if anybody reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = readinto = read


def huge(path: str, **extra):
    return {
        "PATH_INFO": path,
        "CONTENT_LENGTH": str(200 * 1024 * 1024),
        "wsgi.input": Unreadable(),
        "CONTENT_TYPE": "multipart/form-data; boundary=xyz",
        **extra,
    }


def test_an_api_upload_above_the_limit_is_refused_by_its_length_unread(api, csr):
    api.force_authenticate(csr)
    response = api.generic(
        "POST", reverse("api-cases-voice-proposals"), **huge("/api/cases/proposals/voice/")
    )
    assert response.status_code == 413
    assert response.json() == {
        "detail": "The recording is larger than 20.0 MB.",
        "code": "too_large",
        "fields": {"audio": ["The recording is larger than 20.0 MB."]},
    }
    assert not Proposal.objects.exists()


def test_a_page_upload_above_the_limit_shows_the_form_again_with_the_message(client, csr):
    CaseLibrarySettings.objects.filter(pk=1).update(audio_max_bytes=5 * 1024 * 1024)
    client.force_login(grant_maintain(csr))
    url = reverse("casebase:propose_voice")
    response = client.generic("POST", url, **huge(url))
    assert response.status_code == 413
    page = response.content.decode()
    assert "The recording is larger than 5.0 MB." in page and 'name="audio"' in page
    # a body within the limit goes through as before (a form error here, not a 413)
    assert client.post(url, {"title": ""}).status_code == 200
