"""Recordings of voice cases: THE upload check (audio_validate, case_recording_check), their
storage (store_upload; uploaded by case maintainers only: require_uploader) and their cleanup
(recordings no case and no open case proposal refers to: proposal_recording_cleanup,
recordings_orphan_sweep)."""

import io
import logging
import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import mutagen
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from casebase.audio import measured_seconds
from casebase.models import (
    MAINTAIN_CASES,
    RECORDINGS_DIR,
    Case,
    CaseLibrarySettings,
    recordings_storage,
)
from casebase.selectors import KIND_NEW, KIND_REVISION
from casebase.services.errors import AudioInvalid, CasePermissionDenied
from review.models import Proposal

AUDIO_TYPES = {"mp3": "MP3", "wav": "WAVE", "ogg": "Ogg", "m4a": "MP4"}
MSG_NOT_AUDIO = gettext_noop("The file is not a readable MP3, WAV, OGG or M4A recording.")
MSG_LENGTH_MISMATCH = gettext_noop(
    "The recording's header says it lasts %(header)s seconds but its content lasts %(measured)s "
    "seconds; export the recording again."
)
MSG_RECORDING_REQUIRED = gettext_noop("A voice case needs a recording.")
MSG_RECORDING_ON_TEXT = gettext_noop(
    "A text case has no recording; remove the file or make it a voice case."
)
# Types whose length casebase.audio measures from the content, and how far the header may be off.
MEASURED_TYPES = {"mp3", "wav"}
AUDIO_LENGTH_TOLERANCE = (2.0, 0.10)  # seconds, share of the length: whichever is larger
MSG_RECORDING_MAINTAINERS = gettext_noop(
    "Only case maintainers upload recordings: voice cases are picked by the centre from real "
    "calls. Suggest the call by its reference instead."
)

logger = logging.getLogger(__name__)


@dataclass
class AudioInfo:
    extension: str
    duration_seconds: int


def audio_validate(upload, *, config: CaseLibrarySettings | None = None) -> AudioInfo:
    """Check an uploaded recording: extension and content (read by mutagen) are MP3, WAV,
    OGG or M4A, within the configured size and duration. Raises CaseError with the exact
    reason."""
    config = config or CaseLibrarySettings.current()
    extension = os.path.splitext(upload.name or "")[1].lower().lstrip(".")
    if extension not in AUDIO_TYPES:
        raise AudioInvalid(_("Upload an MP3, WAV, OGG or M4A file."))
    if upload.size > config.audio_max_bytes:
        raise AudioInvalid(
            _("The recording is larger than %(mb).1f MB.")
            % {"mb": config.audio_max_bytes / 1024 / 1024}
        )
    try:
        upload.seek(0)
        content = upload.read(config.audio_max_bytes + 1)
        audio = mutagen.File(io.BytesIO(content))
    except Exception:  # mutagen raises many error types for corrupt files
        audio = None
    finally:
        upload.seek(0)
    if (
        audio is None
        or getattr(audio, "info", None) is None
        or not getattr(audio.info, "length", 0)
    ):
        raise AudioInvalid(_(MSG_NOT_AUDIO))
    if not type(audio).__name__.startswith(AUDIO_TYPES[extension]):
        raise AudioInvalid(
            _("The file's content does not match its .%(ext)s extension.") % {"ext": extension}
        )
    length = audio_length_checked(extension, content, header_seconds=audio.info.length)
    if length > config.audio_max_seconds:
        raise AudioInvalid(
            _("The recording is longer than %(s)s seconds.") % {"s": config.audio_max_seconds}
        )
    return AudioInfo(extension=extension, duration_seconds=max(1, round(length)))


def audio_length_checked(extension: str, content: bytes, *, header_seconds: float) -> float:
    """The length to cap and store: measured from the content for MP3 and WAV
    (casebase.audio), mutagen's reading for the others. Raises AudioInvalid when the
    header's length and the measured one differ by more than AUDIO_LENGTH_TOLERANCE (a
    header that hides most of the file from the cap)."""
    measured = measured_seconds(extension, content)
    if extension not in MEASURED_TYPES:
        return header_seconds
    if measured is None:
        raise AudioInvalid(_(MSG_NOT_AUDIO))
    seconds, share = AUDIO_LENGTH_TOLERANCE
    if abs(measured - header_seconds) > max(seconds, share * max(measured, header_seconds)):
        raise AudioInvalid(
            _(MSG_LENGTH_MISMATCH) % {"header": round(header_seconds), "measured": round(measured)}
        )
    return measured


def store_upload(upload, info: AudioInfo) -> str:
    """Save a validated recording in the recordings storage; returns its storage name."""
    return recordings_storage().save(f"{RECORDINGS_DIR}{uuid.uuid4().hex}.{info.extension}", upload)


def case_recording_check(
    *, kind: str, audio, config: CaseLibrarySettings | None = None
) -> AudioInfo | None:
    """THE recording rule of a case written outside the proposal forms (admin): a voice case
    has a recording, a text case none; a newly uploaded file (one with a content type, not a
    stored name) passes audio_validate. Returns the new file's AudioInfo, None when no new
    file was uploaded. Raises AudioInvalid."""
    if kind == Case.Kind.TEXT:
        if audio:
            raise AudioInvalid(_(MSG_RECORDING_ON_TEXT))
        return None
    if not audio:
        raise AudioInvalid(_(MSG_RECORDING_REQUIRED))
    if hasattr(audio, "content_type"):
        return audio_validate(audio, config=config)
    return None


def require_uploader(user) -> None:
    """Recordings are uploaded only by case maintainers (the centre picks voice cases from real
    calls); everyone else suggests a call by its reference (call_suggest)."""
    if not user.has_perm(MAINTAIN_CASES):
        raise CasePermissionDenied(_(MSG_RECORDING_MAINTAINERS), code="recording_maintainers_only")


CASE_PROPOSAL_KINDS = (KIND_NEW, KIND_REVISION)


def recordings_in_use(*, names: list[str] | None = None) -> set[str]:
    """Storage names of the recordings something still needs: a case (active or in the
    history library) and the payload of an OPEN case proposal (its own upload and, for a
    revision, the version it was written on). ``names`` limits the answer to these names."""
    cases = Case.objects.exclude(audio="")
    if names is not None:
        cases = cases.filter(audio__in=names)
    used = set(cases.values_list("audio", flat=True))
    for payload in (
        Proposal.objects.open()
        .filter(kind__in=CASE_PROPOSAL_KINDS)
        .values_list("payload", flat=True)
    ):
        payload = payload or {}
        used.update(
            str(name)
            for name in (payload.get("audio"), (payload.get("before") or {}).get("audio"))
            if name
        )
    return used if names is None else used & set(names)


def recording_delete_if_unused(*, name: str) -> bool:
    """Delete the stored recording ``name`` when no case and no open case proposal refers to
    it (recordings_in_use); True when it was deleted. Names outside RECORDINGS_DIR are never
    touched."""
    if not name or not name.startswith(RECORDINGS_DIR) or ".." in name:
        return False
    if recordings_in_use(names=[name]):
        return False
    storage = recordings_storage()
    if not storage.exists(name):
        return False
    storage.delete(name)
    logger.info("Deleted the recording %s (no case or open proposal refers to it).", name)
    return True


def proposal_recording_cleanup(proposal: Proposal) -> None:
    """on_closed of the case proposal kinds: once the proposal left "open" without being
    applied (rejected, withdrawn, stale), its uploaded recording is deleted after the
    transaction commits — unless a case or another open proposal refers to it (a revision
    that kept the case's recording, a file shared by a rebased proposal)."""
    name = str((proposal.payload or {}).get("audio") or "")
    if name:
        transaction.on_commit(lambda: recording_delete_if_unused(name=name))


@dataclass
class SweepResult:
    deleted: list[str] = field(default_factory=list)
    kept_recent: int = 0
    kept_in_use: int = 0


def recordings_orphan_sweep(
    *, now: datetime | None = None, grace_hours: int | None = None
) -> SweepResult:
    """Delete the files under RECORDINGS_DIR that no case and no open case proposal refers
    to and that are older than ``grace_hours`` (default the RECORDINGS_ORPHAN_GRACE_HOURS
    setting, 24 h), so an upload whose proposal is still being written is left alone.
    Rechecks each file against the references just before deleting it; safe to run twice
    or in overlap (a file already gone is skipped)."""
    from django.conf import settings

    now = now or timezone.now()
    grace = timedelta(
        hours=settings.RECORDINGS_ORPHAN_GRACE_HOURS if grace_hours is None else grace_hours
    )
    storage = recordings_storage()
    result = SweepResult()
    try:
        _dirs, files = storage.listdir(RECORDINGS_DIR.rstrip("/"))
    except FileNotFoundError:
        return result
    used = recordings_in_use()
    for filename in sorted(files):
        name = f"{RECORDINGS_DIR}{filename}"
        if name in used:
            result.kept_in_use += 1
            continue
        try:
            modified = storage.get_modified_time(name)
        except (FileNotFoundError, NotImplementedError):
            continue
        if now - modified < grace:
            result.kept_recent += 1
            continue
        if recording_delete_if_unused(name=name):
            result.deleted.append(name)
    return result
