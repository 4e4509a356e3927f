"""Writes of the knowledge base: entries change through applied review proposals and the
direct changes of maintainers, both written by _entry_save (one writer per entity)."""

import random
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_CEILING, Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from config.errors import ConflictError, PermissionDeniedError, ValidationFailedError
from config.locks import retry_on_deadlock
from knowledgebase import search
from knowledgebase.citations import cases_citing, revisable_cases
from knowledgebase.models import (
    Category,
    Entry,
    EntryChange,
    QueryTask,
    QueryTestAnswer,
    QueryTestSession,
    QueryTimeTest,
    QueryTimeThreshold,
    SearchLog,
    SearchSettings,
    StaleFlag,
    SynonymGroup,
)
from knowledgebase.selectors import KIND_NEW_ENTRY, KIND_REVISION, query_test_next_start_at
from review.models import Proposal
from review.registry import StaleBaseVersion
from review.services import OutdatedBaseVersion, ReviewError, proposal_create


class QueryTestError(ValidationFailedError):
    """A rule of the query-time test refused the action (HTTP 400 / message)."""


class QueryTestConflict(ConflictError):
    """The test or the task is past the state the action needs: finished, answered (HTTP 409)."""


# --- entries -------------------------------------------------------------------------

# The permission of maintainers (operations and sub-centre business managers, granted to the
# operations managers group by migration 0008): create, revise, retire and restore entries
# directly, without the committee.
MAINTAIN_ENTRIES = "knowledgebase.maintain_entries"

MSG_NOT_MAINTAINER = gettext_noop("Only knowledge-base maintainers may change entries directly.")
MSG_REASON_REQUIRED = gettext_noop("Give a reason for the change.")
MSG_NOTHING_CHANGED = gettext_noop("Nothing was changed.")
MSG_RETIRED = gettext_noop("This entry is retired; restore it before changing it.")
MSG_ALREADY_RETIRED = gettext_noop("This entry is already retired.")
MSG_NOT_RETIRED = gettext_noop("This entry is not retired.")
MSG_EFFECTIVE_RANGE = gettext_noop("The end date cannot be before the start date.")


class EntryMaintainDenied(PermissionDeniedError):
    """The user does not hold the maintain_entries permission (HTTP 403)."""


class EntryRetired(ConflictError):
    """The entry is retired (or, for a restore, is not): the action needs the other state (HTTP
    409)."""

    default_code = "entry_retired"


@dataclass(frozen=True)
class EntryWrite:
    """What a maintainer's change did: the entry (new version), its audit row, and the open
    proposals of the entry it marked outdated."""

    entry: Entry
    change: EntryChange
    outdated_proposals: list[int] = field(default_factory=list)


def can_maintain(user) -> bool:
    """True when ``user`` may create, revise, retire and restore entries directly."""
    return bool(user and user.is_authenticated and user.has_perm(MAINTAIN_ENTRIES))


def _require_maintainer(user) -> None:
    if not can_maintain(user):
        raise EntryMaintainDenied(_(MSG_NOT_MAINTAINER))


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailedError(_(MSG_REASON_REQUIRED), field="reason")
    return reason


def entry_reindex(*, entry_ids: list[int] | None = None) -> None:
    """Recompute the search vectors from the token columns and add the entries' tokens to the
    typo-correcting vocabulary (PostgreSQL only; SQLite searches with icontains).
    ``entry_ids`` None means every entry (and rebuilds the vocabulary)."""
    if not settings.IS_POSTGRES:
        return
    entries = Entry.objects.all() if entry_ids is None else Entry.objects.filter(pk__in=entry_ids)
    entries.update(**search.vector_updates())
    search.results_stale()
    if entry_ids is None:
        search.vocabulary_rebuild()
    else:
        search.vocabulary_add(
            text for pair in entries.values_list("search_title", "search_text") for text in pair
        )


def _entry_save(
    entry: Entry,
    *,
    kind: str,
    via: str,
    author,
    reason: str,
    proposal: Proposal | None = None,
    created: bool = False,
) -> EntryChange:
    """The one writer of an entry's content: index the text, save (simple-history records
    the version with ``author``), re-index and write the version's EntryChange row. The
    caller holds the entry's row lock and has set the fields; a change (not a creation)
    raises the version by one."""
    if not created:
        entry.version += 1
    for name, value in search.index_fields(
        title=entry.title, body=entry.body, keywords=entry.keywords
    ).items():
        setattr(entry, name, value)
    entry._history_user = author
    entry._change_reason = reason[
        :100
    ]  # the author's words; what kind of change it was is EntryChange.kind
    entry.save()
    entry_reindex(entry_ids=[entry.pk])
    change = EntryChange.objects.create(
        entry=entry,
        version=entry.version,
        kind=kind,
        via=via,
        author=author,
        reason=reason,
        proposal=proposal,
    )
    if not created:
        stale_flags_raise(change=change)
    return change


def stale_flags_raise(*, change: EntryChange) -> int:
    """The entry of ``change`` changed (revised, retired or restored, by the committee or a
    maintainer): flag the active cases citing it (knowledgebase.citations.cases_citing) and
    the active query-time-test tasks it answers for their review experts. An item already
    flagged for this entry keeps its one open flag, moved on to ``change`` (its diff then
    spans every unreviewed change). Set-based: a constant number of queries whatever the
    number of items. Returns how many flags were opened."""
    entry_id = change.entry_id
    open_flags = StaleFlag.objects.filter(entry_id=entry_id, status=StaleFlag.Status.OPEN)
    open_flags.update(change=change)
    flagged = set(open_flags.values_list("case_id", "query_task_id"))
    cases = cases_citing(entry_id) - {case for case, _task in flagged if case}
    tasks = set(
        QueryTask.objects.filter(answer_id=entry_id, active=True).values_list("pk", flat=True)
    ) - {task for _case, task in flagged if task}
    base = change.version - 1
    StaleFlag.objects.bulk_create(
        [
            StaleFlag(entry_id=entry_id, base_version=base, change=change, case_id=pk)
            for pk in sorted(cases)
        ]
        + [
            StaleFlag(entry_id=entry_id, base_version=base, change=change, query_task_id=pk)
            for pk in sorted(tasks)
        ]
    )
    return len(cases) + len(tasks)


MSG_FLAG_NOT_YOURS = gettext_noop(
    "Only the review experts of the item's category or an operations manager may resolve it."
)
MSG_FLAG_RESOLVED = gettext_noop("This item was already resolved.")
MSG_FLAG_NO_REVISION = gettext_noop(
    "Only a case can get a revision proposal; mark a query task reviewed (or correct it in admin)."
)
MSG_FLAG_CANNOT_REVISE = gettext_noop(
    "You cannot propose a revision of this case (a test case, or above your "
    "study level): mark it reviewed or ask a case maintainer."
)


@transaction.atomic
def stale_flag_resolve(*, user, flag_id: int, resolution: str) -> StaleFlag:
    """Close an open stale flag: ``resolution`` "reviewed" (still correct) or "revision" (a
    case revision proposal follows; cases only). Only the item's review experts or an
    operations manager (knowledgebase.selectors.may_resolve_flag). Raises StaleFlag.DoesNotExist
    (404), PermissionDeniedError, ConflictError (already resolved) or ValidationFailedError."""
    from knowledgebase.selectors import may_resolve_flag

    flag = (
        StaleFlag.objects.select_for_update(of=("self",))
        .select_related("case", "query_task__answer")
        .get(pk=flag_id)
    )
    if not may_resolve_flag(user, flag):
        raise PermissionDeniedError(_(MSG_FLAG_NOT_YOURS))
    if flag.status != StaleFlag.Status.OPEN:
        raise ConflictError(_(MSG_FLAG_RESOLVED))
    if resolution not in (StaleFlag.Status.REVIEWED, StaleFlag.Status.REVISION):
        raise ValidationFailedError(_("Choose how the item was resolved."), field="resolution")
    if resolution == StaleFlag.Status.REVISION:
        if flag.case_id is None:
            raise ValidationFailedError(_(MSG_FLAG_NO_REVISION), field="resolution")
        if not revisable_cases(user, [flag.case_id]):
            raise ValidationFailedError(_(MSG_FLAG_CANNOT_REVISE), field="resolution")
    flag.status, flag.resolved_by, flag.resolved_at = resolution, user, timezone.now()
    flag.save(update_fields=["status", "resolved_by", "resolved_at"])
    return flag


def _outdate_open_proposals(entry: Entry) -> list[int]:
    """Mark the open proposals of ``entry`` outdated (stale: their proposers rebase and are
    notified), exactly as the review engine does for the siblings of an applied proposal.
    The caller holds the entry's lock (target first, then the proposals by id)."""
    from review.services import target_proposals_outdate

    outdated = target_proposals_outdate(
        target=entry, current_version=entry.version, keep_current=False
    )
    return [proposal.pk for proposal in outdated]


@transaction.atomic
def category_put(
    *, code: str, name: str, name_en: str = "", order: int = 0, parent: Category | None = None
) -> Category:
    """The category ``code`` with these fields under ``parent`` (None: a root), created or
    updated (and re-placed among its siblings, which stand in order then code): the loaders'
    writer of the tree (demo, bench). Admin places nodes with treebeard's move form."""
    category = Category.objects.filter(code=code).first()
    if category is None:
        fields = {"code": code, "name": name, "name_en": name_en, "order": order}
        return (
            Category.objects.add_child(parent, create_kwargs=fields)
            if parent is not None
            else Category.objects.add_root(create_kwargs=fields)
        )
    same_place = category.order == order and (
        Category.objects.get_parent(category) == parent
        if parent is not None
        else category.is_root()
    )
    category.name, category.name_en, category.order = name, name_en, order
    category.save(update_fields=["name", "name_en", "order"])
    if not same_place:
        if parent is not None:
            Category.objects.move(category, parent, pos="sorted-child")
        else:
            Category.objects.move(
                category, Category.objects.get_first_root_node(), pos="sorted-sibling"
            )
        category.refresh_from_db()
    return category


@transaction.atomic
def entry_create(
    *,
    category: Category,
    title: str,
    body: str,
    keywords: str = "",
    history_user=None,
    reason: str = "",
    effective_from=None,
    effective_to=None,
    via: str = EntryChange.Via.LOADER,
    proposal: Proposal | None = None,
) -> Entry:
    """Create an entry (demo loader, applied new-entry proposals, maintainers through
    entry_add): version 1 with its EntryChange row."""
    entry = Entry(
        category=category,
        title=title.strip(),
        body=body.strip(),
        keywords=keywords.strip(),
        version=1,
    )
    if effective_from is not None:
        entry.effective_from = effective_from
    entry.effective_to = effective_to
    _entry_save(
        entry,
        kind=EntryChange.Kind.CREATED,
        via=via,
        author=history_user,
        reason=reason,
        proposal=proposal,
        created=True,
    )
    return entry


@retry_on_deadlock
@transaction.atomic
def entry_add(
    *,
    author,
    title: str,
    body: str,
    keywords: str,
    category_id: int,
    reason: str,
    via: str = EntryChange.Via.WEB,
    effective_from=None,
    effective_to=None,
) -> EntryWrite:
    """A maintainer adds an entry directly. Raises EntryMaintainDenied, ValidationFailedError."""
    _require_maintainer(author)
    payload = _payload(title=title, body=body, keywords=keywords, category_id=category_id)
    reason = _reason(reason)
    if effective_to is not None and effective_from is not None and effective_to < effective_from:
        raise ValidationFailedError(_(MSG_EFFECTIVE_RANGE), field="effective_to")
    entry = entry_create(
        category=Category.objects.get(pk=payload["category_id"]),
        title=payload["title"],
        body=payload["body"],
        keywords=payload["keywords"],
        history_user=author,
        reason=reason,
        via=via,
        effective_from=effective_from,
        effective_to=effective_to,
    )
    return EntryWrite(entry=entry, change=entry.changes.get(version=entry.version))


def _lock_current(*, entry_id: int, base_version: int) -> Entry:
    """The entry, locked, when ``base_version`` is still its version (OutdatedBaseVersion
    otherwise). Raises Entry.DoesNotExist."""
    entry = Entry.objects.select_for_update().get(pk=entry_id)
    if base_version != entry.version:
        raise OutdatedBaseVersion(maintain_outdated_message(entry.version))
    return entry


@retry_on_deadlock
@transaction.atomic
def entry_revise(
    *,
    author,
    entry_id: int,
    base_version: int,
    title: str,
    body: str,
    keywords: str,
    category_id: int,
    reason: str,
    via: str = EntryChange.Via.WEB,
    effective: tuple | None = None,
) -> EntryWrite:
    """A maintainer revises an entry directly: a new version with ``reason`` and ``author``,
    and the entry's open proposals marked outdated, as a committee-applied change does.
    ``effective`` (admin): (effective_from, effective_to) to set as well; None keeps them.
    Raises EntryMaintainDenied, Entry.DoesNotExist, OutdatedBaseVersion (``base_version``
    is not the current version: somebody changed it meanwhile), EntryRetired,
    ValidationFailedError (bad input, no change)."""
    _require_maintainer(author)
    entry = _lock_current(entry_id=entry_id, base_version=base_version)
    if entry.is_retired:
        raise EntryRetired(_(MSG_RETIRED))
    payload = _payload(title=title, body=body, keywords=keywords, category_id=category_id)
    reason = _reason(reason)
    dates_changed = False
    if effective is not None:
        effective_from, effective_to = effective
        if (
            effective_to is not None
            and effective_from is not None
            and effective_to < effective_from
        ):
            raise ValidationFailedError(_(MSG_EFFECTIVE_RANGE), field="effective_to")
        dates_changed = (effective_from, effective_to) != (entry.effective_from, entry.effective_to)
        entry.effective_from, entry.effective_to = effective_from, effective_to
    if payload == entry_payload(entry) and not dates_changed:
        raise ValidationFailedError(_(MSG_NOTHING_CHANGED))
    entry.title, entry.body, entry.keywords = payload["title"], payload["body"], payload["keywords"]
    entry.category_id = payload["category_id"]
    change = _entry_save(
        entry, kind=EntryChange.Kind.REVISED, via=via, author=author, reason=reason
    )
    return EntryWrite(entry=entry, change=change, outdated_proposals=_outdate_open_proposals(entry))


@retry_on_deadlock
@transaction.atomic
def entry_retire(
    *, author, entry_id: int, base_version: int, reason: str, via: str = EntryChange.Via.WEB
) -> EntryWrite:
    """A maintainer retires an entry: a new version that search no longer shows (the entry
    and its history stay readable), its open proposals marked outdated and the query-time
    tasks answered by it deactivated (a test must not ask for an entry nobody can find).
    Raises EntryMaintainDenied, Entry.DoesNotExist, OutdatedBaseVersion, EntryRetired,
    ValidationFailedError."""
    _require_maintainer(author)
    entry = _lock_current(entry_id=entry_id, base_version=base_version)
    if entry.is_retired:
        raise EntryRetired(_(MSG_ALREADY_RETIRED))
    reason = _reason(reason)
    entry.retired_at = timezone.now()
    change = _entry_save(
        entry, kind=EntryChange.Kind.RETIRED, via=via, author=author, reason=reason
    )
    QueryTask.objects.filter(answer=entry, active=True).update(active=False)
    return EntryWrite(entry=entry, change=change, outdated_proposals=_outdate_open_proposals(entry))


@retry_on_deadlock
@transaction.atomic
def entry_restore(
    *, author, entry_id: int, base_version: int, reason: str, via: str = EntryChange.Via.WEB
) -> EntryWrite:
    """A maintainer brings a retired entry back into search (a new version). Its query-time
    tasks stay inactive until a training manager reactivates them. Raises as entry_retire."""
    _require_maintainer(author)
    entry = _lock_current(entry_id=entry_id, base_version=base_version)
    if not entry.is_retired:
        raise EntryRetired(_(MSG_NOT_RETIRED))
    reason = _reason(reason)
    entry.retired_at = None
    change = _entry_save(
        entry, kind=EntryChange.Kind.RESTORED, via=via, author=author, reason=reason
    )
    return EntryWrite(entry=entry, change=change, outdated_proposals=_outdate_open_proposals(entry))


def _payload(*, title: str, body: str, keywords: str, category_id: int) -> dict:
    title, body, keywords = (
        (title or "").strip(),
        (body or "").strip(),
        " ".join((keywords or "").split()),
    )
    if not title:
        raise ReviewError(_("The title is required."), field="title")
    if not body:
        raise ReviewError(_("The answer script is required."), field="body")
    if not Category.objects.filter(pk=category_id).exists():
        raise ReviewError(_("Choose an existing category."), field="category_id")
    return {"title": title, "body": body, "keywords": keywords, "category_id": int(category_id)}


def entry_payload(entry: Entry) -> dict:
    return {
        "title": entry.title,
        "body": entry.body,
        "keywords": entry.keywords,
        "category_id": entry.category_id,
    }


def maintain_outdated_message(current_version: int) -> str:
    return _(
        "This entry has changed since you opened it (it is now version %(version)s). "
        "Reload it and make your change on the current version."
    ) % {"version": current_version}


def outdated_message(current_version: int) -> str:
    return _(
        "This entry has changed since you started (it is now version %(version)s). "
        "Rebase your proposal on the current version."
    ) % {"version": current_version}


MSG_RETIRED_NO_PROPOSALS = gettext_noop("This entry is retired: it can no longer be revised.")


@retry_on_deadlock
@transaction.atomic
def kb_revision_propose(
    *,
    proposer,
    entry_id: int,
    base_version: int,
    title: str,
    body: str,
    keywords: str,
    category_id: int,
    reason: str,
    rebased_from_id: int | None = None,
) -> Proposal:
    """Propose a revision of an entry. Raises Entry.DoesNotExist, OutdatedBaseVersion when
    ``base_version`` is not the entry's current version, ReviewError otherwise.

    The entry's version is read under the entry's lock (the review engine's lock order:
    target first), so a revision being applied at this moment either finished (and this
    proposal is refused as outdated) or waits until this proposal is stored (and then marks
    it stale): it is never left open on an old version."""
    entry = Entry.objects.select_for_update().get(pk=entry_id)
    if entry.is_retired:
        raise EntryRetired(_(MSG_RETIRED_NO_PROPOSALS))
    if base_version != entry.version:
        raise OutdatedBaseVersion(outdated_message(entry.version))
    payload = _payload(title=title, body=body, keywords=keywords, category_id=category_id)
    if payload == entry_payload(entry):
        raise ReviewError(_("The proposal changes nothing."))
    rebased_from = None
    if rebased_from_id is not None:
        rebased_from = Proposal.objects.filter(
            pk=rebased_from_id,
            proposer=proposer,
            status=Proposal.Status.STALE,
            kind=KIND_REVISION,
            target_id=entry.pk,
        ).first()
        if rebased_from is None:
            raise ReviewError(
                _("Only your own outdated proposals of this entry can be rebased."),
                field="rebased_from_id",
            )
    return proposal_create(
        kind=KIND_REVISION,
        proposer=proposer,
        reason=reason,
        payload=payload,
        target=entry,
        base_version=entry.version,
        rebased_from=rebased_from,
    )


@transaction.atomic
def kb_entry_propose(
    *, proposer, title: str, body: str, keywords: str, category_id: int, reason: str
) -> Proposal:
    """Propose a new entry."""
    payload = _payload(title=title, body=body, keywords=keywords, category_id=category_id)
    return proposal_create(kind=KIND_NEW_ENTRY, proposer=proposer, reason=reason, payload=payload)


# --- appliers (called by review.services inside its transaction) -----------------------


def apply_revision(proposal: Proposal) -> int:
    """Write an approved revision into its entry; returns the new version. A retired entry
    has moved on (retiring raised its version): the proposal goes stale. The engine marks
    the other open proposals of the entry outdated after this returns."""
    entry = Entry.objects.select_for_update().get(pk=proposal.target_id)
    if entry.version != proposal.base_version or entry.is_retired:
        raise StaleBaseVersion()
    data = proposal.payload
    entry.title, entry.body, entry.keywords = data["title"], data["body"], data["keywords"]
    entry.category_id = data["category_id"]
    _entry_save(
        entry,
        kind=EntryChange.Kind.REVISED,
        via=EntryChange.Via.COMMITTEE,
        author=proposal.proposer,
        reason=proposal.reason,
        proposal=proposal,
    )
    return entry.version


def apply_new_entry(proposal: Proposal) -> int:
    data = proposal.payload
    entry = entry_create(
        category=Category.objects.get(pk=data["category_id"]),
        title=data["title"],
        body=data["body"],
        keywords=data["keywords"],
        history_user=proposal.proposer,
        reason=proposal.reason,
        via=EntryChange.Via.COMMITTEE,
        proposal=proposal,
    )
    proposal.target_type = ContentType.objects.get_for_model(Entry)
    proposal.target_id = entry.pk
    proposal.save(update_fields=["target_type", "target_id"])
    return entry.version


def current_version(proposal: Proposal) -> int | None:
    if proposal.kind != KIND_REVISION:
        return None
    return Entry.objects.filter(pk=proposal.target_id).values_list("version", flat=True).first()


# --- query-time test -------------------------------------------------------------------

MSG_RETAKE_TOO_SOON = gettext_noop(
    "You can start the next query-time test from %(when)s (one start every %(hours)s hours; "
    "an abandoned test counts as a start)."
)
MSG_TIME_UP = gettext_noop(
    "The time limit of this test has passed: it was closed with the unanswered tasks counted as "
    "wrong and allows level 0."
)


class RetakeTooSoon(QueryTestError):
    """A new start inside the waiting period; ``next_allowed_at`` is the first moment allowed."""

    def __init__(self, message: str, *, next_allowed_at):
        super().__init__(message)
        self.next_allowed_at = next_allowed_at


def _ceil_tenth(seconds: float) -> Decimal:
    """Seconds rounded up to 0.1 s: a measured time is never rounded in the employee's favour,
    so "at most 120 s" means it."""
    return Decimal(str(seconds)).quantize(Decimal("0.1"), rounding=ROUND_CEILING)


def query_test_start(*, employee) -> QueryTestSession:
    """Start a test (or return the one already running): draw N active tasks at random.
    The start time is the server's clock. A running test past its deadline is first closed
    as abandoned, in its own transaction, so a refused start cannot undo that. Raises
    RetakeTooSoon inside the waiting period after the previous start (any start: finished,
    abandoned or running), QueryTestError when there are too few tasks."""
    query_test_expire_overdue(employee=employee)
    return _query_test_start(employee=employee)


@transaction.atomic
def _query_test_start(*, employee) -> QueryTestSession:
    get_user_model().objects.select_for_update(no_key=True).filter(
        pk=employee.pk
    ).first()  # config/locks.py: employee first
    now = timezone.now()
    config = QueryTimeTest.current()
    running = QueryTestSession.objects.filter(employee=employee, finished_at__isnull=True).first()
    if running is not None:
        return running  # its deadline passes only now: the next answer closes it
    next_allowed_at = query_test_next_start_at(employee, config=config)
    if next_allowed_at is not None and now < next_allowed_at:
        when = timezone.localtime(next_allowed_at).strftime("%Y-%m-%d %H:%M")
        raise RetakeTooSoon(
            _(MSG_RETAKE_TOO_SOON) % {"when": when, "hours": config.retake_wait_hours},
            next_allowed_at=next_allowed_at,
        )
    task_ids = list(QueryTask.objects.filter(active=True).values_list("pk", flat=True))
    needed = config.task_count * config.task_pool_multiple  # a retake must not be a memory test
    if len(task_ids) < needed:
        raise QueryTestError(
            _("Not enough query tasks: %(needed)s needed, %(available)s available.")
            % {"needed": needed, "available": len(task_ids)}
        )
    drawn = random.SystemRandom().sample(task_ids, config.task_count)
    deadline = now + timedelta(
        seconds=float(config.time_limit_seconds_per_task * config.task_count)
    )
    try:
        with transaction.atomic():
            session = QueryTestSession.objects.create(
                employee=employee,
                started_at=now,
                task_count=config.task_count,
                deadline_at=deadline,
            )
    except IntegrityError:  # a double click started one a moment ago
        return QueryTestSession.objects.get(employee=employee, finished_at__isnull=True)
    QueryTestAnswer.objects.bulk_create(
        QueryTestAnswer(session=session, position=i + 1, task_id=task_id)
        for i, task_id in enumerate(drawn)
    )
    return session


@transaction.atomic
def query_test_answer(
    *, session_id: int, employee, position: int, entry_id: int
) -> QueryTestSession:
    """Record the entry picked for the task at ``position`` (must be the next open task).
    Finishes the test after the last task. Past the deadline the answer is not recorded and
    the test is closed as abandoned (the returned session has ``expired`` set). Raises
    QueryTestSession.DoesNotExist for somebody else's session."""
    session = QueryTestSession.objects.select_for_update().get(pk=session_id, employee=employee)
    if session.is_finished:
        raise QueryTestConflict(_("This test is already finished."))
    if session.is_overdue():
        _query_test_close(session, expired=True)
        return session
    answer = session.next_answer()
    if answer is None or answer.position != position:
        raise QueryTestConflict(_("This task was already answered."))
    chosen = Entry.objects.filter(pk=entry_id).first()
    if chosen is None:
        raise QueryTestError(_("Pick an entry from the search results."), field="entry")
    answer.chosen = chosen
    answer.is_correct = chosen.pk == answer.task.answer_id
    answer.answered_at = timezone.now()
    answer.save(update_fields=["chosen", "is_correct", "answered_at"])
    if position == session.task_count:
        _query_test_close(session, expired=False)
    return session


def query_test_expire_overdue(*, now=None, employee=None) -> int:
    """Close every running test (of ``employee``, None: of everybody) past its deadline as
    abandoned: scheduled every few minutes, and called by starts and answers. Each test is
    re-read under its row lock in its own transaction, so a run that overlaps another, or an
    answer arriving at the same moment, closes nothing twice. Returns how many it closed."""
    now = now or timezone.now()
    closed = 0
    overdue = QueryTestSession.objects.filter(finished_at__isnull=True, deadline_at__lt=now)
    if employee is not None:
        overdue = overdue.filter(employee=employee)
    for pk in list(overdue.values_list("pk", flat=True)):
        with transaction.atomic():
            session = (
                QueryTestSession.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, finished_at__isnull=True)
                .first()
            )
            if session is not None and session.is_overdue(now):
                _query_test_close(session, expired=True)
                closed += 1
    return closed


def _query_test_close(session: QueryTestSession, *, expired: bool) -> None:
    """Finish a test (caller holds its row lock). Total time = server-measured elapsed time
    (rounded up to 0.1 s) + wrong answers × the configured penalty; the level is the fastest
    band with total ≤ seconds per task × the session's own task count (0 when slower than
    every band). An abandoned test is closed at its deadline with its unanswered tasks counted
    as wrong, and allows level 0 whatever the bands say."""
    config = QueryTimeTest.current()
    session.finished_at = session.deadline_at if expired else timezone.now()
    session.expired = expired
    session.wrong_count = session.answers.exclude(is_correct=True).count()
    session.elapsed_seconds = _ceil_tenth(
        (session.finished_at - session.started_at).total_seconds()
    )
    session.penalty_seconds = config.wrong_answer_penalty_seconds * session.wrong_count
    session.total_seconds = session.elapsed_seconds + session.penalty_seconds
    session.allowed_level = (
        0
        if expired
        else QueryTimeThreshold.level_for(
            total_seconds=session.total_seconds, task_count=session.task_count
        )
    )
    session.save(
        update_fields=[
            "finished_at",
            "expired",
            "wrong_count",
            "elapsed_seconds",
            "penalty_seconds",
            "total_seconds",
            "allowed_level",
        ]
    )


@transaction.atomic
def query_test_result_backfill(
    *,
    employee,
    finished_at,
    task_count: int,
    elapsed_seconds: Decimal,
    wrong_count: int = 0,
) -> QueryTestSession:
    """Demo-only: record a past finished result without sitting it (no answers are stored).
    The level is decided by the same bands as a real test, with the current penalty."""
    config = QueryTimeTest.current()
    penalty = config.wrong_answer_penalty_seconds * wrong_count
    total = Decimal(elapsed_seconds) + penalty
    started_at = finished_at - timedelta(seconds=float(elapsed_seconds))
    return QueryTestSession.objects.create(
        employee=employee,
        started_at=started_at,
        finished_at=finished_at,
        deadline_at=started_at
        + timedelta(seconds=float(config.time_limit_seconds_per_task * task_count)),
        task_count=task_count,
        wrong_count=wrong_count,
        penalty_seconds=penalty,
        elapsed_seconds=Decimal(elapsed_seconds),
        total_seconds=total,
        allowed_level=QueryTimeThreshold.level_for(total_seconds=total, task_count=task_count),
    )


# --- search: synonyms, log, clicks -----------------------------------------------------

MSG_SYNONYM_TOO_FEW = gettext_noop("A synonym group needs at least two different terms.")
# Keystrokes of one search (results as you type) within this many seconds update one log row.
SEARCH_LOG_COALESCE_SECONDS = 30


@transaction.atomic
def synonym_group_create(*, terms: str, note: str = "") -> SynonymGroup:
    """A new synonym group (from admin or from a search miss); searches use it at once."""
    group = SynonymGroup(
        terms=" ".join((terms or "").replace("，", " ").replace(",", " ").split())[:300],
        note=note[:200],
    )
    if len(group.term_list()) < 2:
        raise ValidationFailedError(_(MSG_SYNONYM_TOO_FEW), field="terms")
    group.save()
    return group


def search_log_record(
    *, user, query: str, result_count: int, fallback: bool, now=None
) -> SearchLog | None:
    """Log a search (None for an empty query). While the query grows or shrinks within
    SEARCH_LOG_COALESCE_SECONDS (results as you type), the user's last row is updated instead
    of adding one per keystroke, so the log holds what was finally searched.

    The log is telemetry: on PostgreSQL, when it is its own transaction (a search request),
    its commit does not wait for the disk. A crash of the database loses at most the last
    fraction of a second of searches (3 × wal_writer_delay), never a half-written row, and
    the search answers sooner; inside somebody else's transaction that transaction keeps its
    setting."""
    normalised = search.normalise_query(query)
    if not normalised:
        return None
    row = {
        "user_id": user.pk,
        "query": normalised,
        "result_count": min(result_count, 32767),
        "fallback": fallback,
        "clicked_entry_id": None,
        "created_at": now or timezone.now(),
    }
    if connection.vendor == "postgresql":
        stored = {
            **row,
            "id": _search_log_write_pg(row, asynchronous_commit=not connection.in_atomic_block),
        }
        fields = SearchLog._meta.concrete_fields
        return SearchLog.from_db(connection.alias, None, [stored[f.attname] for f in fields])
    with transaction.atomic():
        return _search_log_write(row)


def _search_log_write(row: dict) -> SearchLog:
    last = (
        SearchLog.objects.filter(
            user_id=row["user_id"],
            clicked_entry__isnull=True,
            created_at__gte=row["created_at"] - timedelta(seconds=SEARCH_LOG_COALESCE_SECONDS),
        )
        .order_by("-id")
        .first()
    )
    if last and (row["query"].startswith(last.query) or last.query.startswith(row["query"])):
        for name in ("query", "result_count", "fallback", "created_at"):
            setattr(last, name, row[name])
        last.save(update_fields=["query", "result_count", "fallback", "created_at"])
        return last
    return SearchLog.objects.create(**row)


# _search_log_write in one statement (one round trip instead of five on every search request):
# update the user's last unclicked row of the coalescing window when one query extends the
# other, else insert. set_config(..., true) applies to this statement's own transaction.
_SEARCH_LOG_SQL = """
WITH last AS (
    SELECT id, query FROM knowledgebase_searchlog
    WHERE user_id = %(user_id)s AND clicked_entry_id IS NULL AND created_at >= %(since)s
    ORDER BY id DESC LIMIT 1
), updated AS (
    UPDATE knowledgebase_searchlog AS log
    SET query = %(query)s, result_count = %(result_count)s, fallback = %(fallback)s,
        created_at = %(created_at)s
    FROM last
    WHERE log.id = last.id
      AND (starts_with(%(query)s, last.query) OR starts_with(last.query, %(query)s))
    RETURNING log.id
), inserted AS (
    INSERT INTO knowledgebase_searchlog (user_id, query, result_count, fallback, created_at)
    SELECT %(user_id)s, %(query)s, %(result_count)s, %(fallback)s, %(created_at)s
    WHERE NOT EXISTS (SELECT 1 FROM updated)
    RETURNING id
)
SELECT id{commit_mode} FROM updated UNION ALL SELECT id{commit_mode} FROM inserted
"""
_ASYNCHRONOUS_COMMIT = ", set_config('synchronous_commit', 'off', true)"


def _search_log_write_pg(row: dict, *, asynchronous_commit: bool) -> int:
    sql = _SEARCH_LOG_SQL.format(commit_mode=_ASYNCHRONOUS_COMMIT if asynchronous_commit else "")
    since = row["created_at"] - timedelta(seconds=SEARCH_LOG_COALESCE_SECONDS)
    with connection.cursor() as cursor:
        cursor.execute(sql, {**row, "since": since})
        return cursor.fetchone()[0]


def search_log_click(*, log_id: int, user, entry_id: int) -> bool:
    """Record that ``user`` opened ``entry_id`` from the results of their search ``log_id``
    and count the click for the entry's popularity. Counted once per search and entry (a
    reload of the link does not count again); False when nothing was counted."""
    with transaction.atomic():
        changed = (
            SearchLog.objects.filter(pk=log_id, user=user)
            .exclude(clicked_entry_id=entry_id)
            .update(clicked_entry_id=entry_id)
        )
        if changed:
            Entry.objects.filter(pk=entry_id).update(click_count=F("click_count") + 1)
    return bool(changed)


def search_log_purge(*, now=None) -> int:
    """Delete searches older than the retention setting; returns how many. Safe to run twice."""
    now = now or timezone.now()
    days = SearchSettings.current().log_retention_days
    deleted, _detail = SearchLog.objects.filter(created_at__lt=now - timedelta(days=days)).delete()
    return deleted
