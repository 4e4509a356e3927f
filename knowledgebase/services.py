"""Writes of the knowledge base: entries change only through applied review proposals."""

import random
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from knowledgebase import search
from knowledgebase.models import (
    Category,
    Entry,
    QueryTask,
    QueryTestAnswer,
    QueryTestSession,
    QueryTimeTest,
    QueryTimeThreshold,
)
from review.models import Proposal
from review.registry import StaleBaseVersion
from review.services import OutdatedBaseVersion, ReviewError, proposal_create

KIND_REVISION = "kb_revision"
KIND_NEW_ENTRY = "kb_new_entry"


class QueryTestError(Exception):
    """A rule of the query-time test refused the action (HTTP 400 / message)."""


# --- entries -------------------------------------------------------------------------

def entry_reindex(*, entry_ids: list[int] | None = None) -> None:
    """Recompute search_vector from the token columns (PostgreSQL only; SQLite searches
    with icontains). ``entry_ids`` None means every entry."""
    if not settings.IS_POSTGRES:
        return
    entries = Entry.objects.all() if entry_ids is None else Entry.objects.filter(pk__in=entry_ids)
    entries.update(search_vector=search.vector_expression())


@transaction.atomic
def entry_create(
    *, category: Category, title: str, body: str, keywords: str = "", history_user=None, reason: str = "",
    effective_from=None,
) -> Entry:
    """Create an entry directly (demo loader, applied new-entry proposals)."""
    entry = Entry(
        category=category, title=title.strip(), body=body.strip(), keywords=keywords.strip(), version=1,
        **search.index_fields(title=title, body=body, keywords=keywords),
    )
    if effective_from is not None:
        entry.effective_from = effective_from
    entry._history_user = history_user
    entry._change_reason = reason
    entry.save()
    entry_reindex(entry_ids=[entry.pk])
    return entry


def _payload(*, title: str, body: str, keywords: str, category_id: int) -> dict:
    title, body, keywords = (title or "").strip(), (body or "").strip(), " ".join((keywords or "").split())
    if not title:
        raise ReviewError(_("The title is required."))
    if not body:
        raise ReviewError(_("The answer script is required."))
    if not Category.objects.filter(pk=category_id).exists():
        raise ReviewError(_("Choose an existing category."))
    return {"title": title, "body": body, "keywords": keywords, "category_id": int(category_id)}


def entry_payload(entry: Entry) -> dict:
    return {"title": entry.title, "body": entry.body, "keywords": entry.keywords, "category_id": entry.category_id}


def outdated_message(current_version: int) -> str:
    return _(
        "This entry has changed since you started (it is now version %(version)s). "
        "Rebase your proposal on the current version."
    ) % {"version": current_version}


@transaction.atomic
def kb_revision_propose(
    *, proposer, entry_id: int, base_version: int, title: str, body: str, keywords: str, category_id: int,
    reason: str, rebased_from_id: int | None = None,
) -> Proposal:
    """Propose a revision of an entry. Raises Entry.DoesNotExist, OutdatedBaseVersion when
    ``base_version`` is not the entry's current version, ReviewError otherwise."""
    entry = Entry.objects.get(pk=entry_id)
    if base_version != entry.version:
        raise OutdatedBaseVersion(outdated_message(entry.version))
    payload = _payload(title=title, body=body, keywords=keywords, category_id=category_id)
    if payload == entry_payload(entry):
        raise ReviewError(_("The proposal changes nothing."))
    rebased_from = None
    if rebased_from_id is not None:
        rebased_from = Proposal.objects.filter(
            pk=rebased_from_id, proposer=proposer, status=Proposal.Status.STALE, kind=KIND_REVISION, target_id=entry.pk
        ).first()
        if rebased_from is None:
            raise ReviewError(_("Only your own outdated proposals of this entry can be rebased."))
    return proposal_create(
        kind=KIND_REVISION, proposer=proposer, reason=reason, payload=payload, target=entry,
        base_version=entry.version, rebased_from=rebased_from,
    )


@transaction.atomic
def kb_entry_propose(*, proposer, title: str, body: str, keywords: str, category_id: int, reason: str) -> Proposal:
    """Propose a new entry."""
    payload = _payload(title=title, body=body, keywords=keywords, category_id=category_id)
    return proposal_create(kind=KIND_NEW_ENTRY, proposer=proposer, reason=reason, payload=payload)


# --- appliers (called by review.services inside its transaction) -----------------------

def apply_revision(proposal: Proposal) -> int:
    """Write an approved revision into its entry; returns the new version."""
    entry = Entry.objects.select_for_update().get(pk=proposal.target_id)
    if entry.version != proposal.base_version:
        raise StaleBaseVersion()
    data = proposal.payload
    entry.title, entry.body, entry.keywords = data["title"], data["body"], data["keywords"]
    entry.category_id = data["category_id"]
    entry.version += 1
    for name, value in search.index_fields(title=entry.title, body=entry.body, keywords=entry.keywords).items():
        setattr(entry, name, value)
    entry._history_user = proposal.proposer
    entry._change_reason = f"proposal #{proposal.pk}: {proposal.reason}"[:100]
    entry.save()
    entry_reindex(entry_ids=[entry.pk])
    return entry.version


def apply_new_entry(proposal: Proposal) -> int:
    data = proposal.payload
    entry = entry_create(
        category=Category.objects.get(pk=data["category_id"]), title=data["title"], body=data["body"],
        keywords=data["keywords"], history_user=proposal.proposer,
        reason=f"proposal #{proposal.pk}: {proposal.reason}"[:100],
    )
    from django.contrib.contenttypes.models import ContentType

    proposal.target_type = ContentType.objects.get_for_model(Entry)
    proposal.target_id = entry.pk
    proposal.save(update_fields=["target_type", "target_id"])
    return entry.version


def current_version(proposal: Proposal) -> int | None:
    if proposal.kind != KIND_REVISION:
        return None
    return Entry.objects.filter(pk=proposal.target_id).values_list("version", flat=True).first()


# --- query-time test -------------------------------------------------------------------

@transaction.atomic
def query_test_start(*, employee) -> QueryTestSession:
    """Start a test (or return the one already running): draw N active tasks at random.
    The start time is the server's clock."""
    running = QueryTestSession.objects.filter(employee=employee, finished_at__isnull=True).first()
    if running is not None:
        return running
    config = QueryTimeTest.current()
    task_ids = list(QueryTask.objects.filter(active=True).values_list("pk", flat=True))
    if len(task_ids) < config.task_count:
        raise QueryTestError(
            _("Not enough query tasks: %(needed)s needed, %(available)s available.")
            % {"needed": config.task_count, "available": len(task_ids)}
        )
    drawn = random.SystemRandom().sample(task_ids, config.task_count)
    try:
        with transaction.atomic():
            session = QueryTestSession.objects.create(
                employee=employee, started_at=timezone.now(), task_count=config.task_count
            )
    except IntegrityError:  # a double click started one a moment ago
        return QueryTestSession.objects.get(employee=employee, finished_at__isnull=True)
    QueryTestAnswer.objects.bulk_create(
        QueryTestAnswer(session=session, position=i + 1, task_id=task_id) for i, task_id in enumerate(drawn)
    )
    return session


@transaction.atomic
def query_test_answer(*, session_id: int, employee, position: int, entry_id: int) -> QueryTestSession:
    """Record the entry picked for the task at ``position`` (must be the next open task).
    Finishes the test after the last task. Raises QueryTestSession.DoesNotExist for
    somebody else's session."""
    session = QueryTestSession.objects.select_for_update().get(pk=session_id, employee=employee)
    if session.is_finished:
        raise QueryTestError(_("This test is already finished."))
    answer = session.next_answer()
    if answer is None or answer.position != position:
        raise QueryTestError(_("This task was already answered."))
    chosen = Entry.objects.filter(pk=entry_id).first()
    if chosen is None:
        raise QueryTestError(_("Pick an entry from the search results."))
    answer.chosen = chosen
    answer.is_correct = chosen.pk == answer.task.answer_id
    answer.answered_at = timezone.now()
    answer.save(update_fields=["chosen", "is_correct", "answered_at"])
    if position == session.task_count:
        _query_test_finish(session)
    return session


def _query_test_finish(session: QueryTestSession) -> None:
    """Total time = server-measured elapsed time (cut to 0.1 s, so "< 120 s" keeps its
    meaning) + wrong answers × the configured penalty; the threshold table maps it to the
    highest level allowed."""
    config = QueryTimeTest.current()
    session.finished_at = timezone.now()
    session.wrong_count = session.answers.filter(is_correct=False).count()
    elapsed = Decimal((session.finished_at - session.started_at).total_seconds()).quantize(Decimal("0.1"), rounding=ROUND_DOWN)
    session.elapsed_seconds = elapsed
    session.penalty_seconds = config.wrong_answer_penalty_seconds * session.wrong_count
    session.total_seconds = elapsed + session.penalty_seconds
    session.allowed_level = QueryTimeThreshold.level_for(session.total_seconds)
    session.save(update_fields=["finished_at", "wrong_count", "elapsed_seconds", "penalty_seconds",
                                "total_seconds", "allowed_level"])
