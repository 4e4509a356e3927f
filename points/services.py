"""Writes of the points app. ``points_award`` is the one function that pays points; every
other state change writes a PointsEvent through ``points_event_record``."""

import hashlib
import uuid
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import roles
from accounts.services import employees_lock
from accounts.staff_ids import staff_ids_check, staff_ids_parse
from config.errors import ConflictError, PermissionDeniedError, ValidationFailedError
from points import roles as points_roles
from points.models import (
    NOTE_REVIEW_VOTE,
    AmountInvalid,
    PointRule,
    PointsEntry,
    PointsEvent,
    PointsSettings,
    QCGroup,
    QCGroupMember,
    QCTopic,
    RationalisationProposal,
    VolunteerSheet,
    VolunteerSheetRow,
)
from points.sheets import (
    MSG_SHEET_ERRORS,
    PointsBounds,
    SheetInvalid,
    line_fields,
    parse_volunteer_sheet,
    sheet_fingerprint,
)

# Exact messages (tests and API clients assert them).
MSG_UNKNOWN_RULE = gettext_noop("Unknown point rule “%(code)s”.")
MSG_INACTIVE_RULE = gettext_noop("The point rule “%(rule)s” is not active.")
MSG_SOURCE_OTHER_EMPLOYEE = gettext_noop(
    "The source %(source)s was already used for another employee."
)
MSG_ALREADY_REVERSED = gettext_noop("This entry has already been reversed.")
MSG_CANNOT_REVERSE_REVERSAL = gettext_noop(
    "A reversal cannot be reversed; add a manual correction instead."
)
MSG_REASON_REQUIRED = gettext_noop("Give a reason.")
MSG_CORRECTION_LIMIT = gettext_noop(
    "You already corrected this employee's points by +%(given)s in the last 30 days; "
    "at most +%(limit)s: another manager decides beyond that."
)
MSG_ALREADY_JUDGED = gettext_noop("This proposal has already been judged.")
MSG_OWN_PROPOSAL = gettext_noop("You cannot judge your own proposal.")
MSG_TOPIC_CLOSED = gettext_noop("This topic is closed.")
MSG_TOPIC_FULL = gettext_noop("This topic already has the maximum of %(max)s groups.")
MSG_GROUP_SIZE = gettext_noop("A group needs %(min)s to %(max)s members; you named %(count)s.")
MSG_UNKNOWN_STAFF = gettext_noop("Unknown staff ID: %(ids)s.")
MSG_ALREADY_IN_GROUP = gettext_noop("Already in a group for this topic: %(ids)s.")
MSG_NOT_QC_ELIGIBLE = gettext_noop(
    "Only front-line CSRs may join a QC group; these staff IDs may not: %(ids)s."
)
MSG_GROUP_COMPLETED = gettext_noop("This group's topic is already completed.")
MSG_OWN_TOPIC = gettext_noop(
    "You published this topic: another manager confirms its groups' completion."
)
MSG_SHEET_DUPLICATE = gettext_noop(
    "This sheet was already imported as sheet #%(id)s on %(date)s (the same rows); "
    "nothing was paid again."
)
MSG_SHEET_ROW_PAID = gettext_noop(
    "%(staff_id)s on %(date)s was already paid by sheet #%(sheet)s, line %(line)s."
)
MSG_SHEET_ROW_PAID_MEANWHILE = gettext_noop(
    "Another import paid a row of this sheet a moment ago; nothing was "
    "imported. Upload the sheet again to see which lines."
)
MSG_TOKEN_TOO_LONG = gettext_noop("The form token is too long.")
MAX_TOKEN_LENGTH = 64  # "manual:<token>" must fit PointsEntry.source
MSG_SHEET_BUSY = gettext_noop("This sheet is being imported by somebody else right now.")
MSG_SHEET_OWN_ROW = gettext_noop(
    "%(staff_id)s is you: a row paying the importer is imported by another manager."
)
MSG_SHEET_ROW_PENDING = gettext_noop(
    "%(staff_id)s on %(date)s is already on sheet #%(sheet)s, line %(line)s, "
    "which awaits a second manager's confirmation."
)
MSG_SHEET_NOT_PENDING = gettext_noop("This sheet was already confirmed or rejected.")
MSG_SHEET_OWN_IMPORT = gettext_noop("You imported this sheet: another manager confirms it.")
MSG_SHEET_PAYS_YOU = gettext_noop(
    "This sheet pays you (line %(line)s): another manager confirms it."
)
MSG_SHEET_ROW_PAID_SINCE = gettext_noop(
    "%(staff_id)s on %(date)s (line %(line)s) was paid by another sheet since "
    "this one was imported: reject it and import a corrected sheet."
)


class PointsError(ValidationFailedError):
    """A rule of the points app refused the input (HTTP 400)."""


class PointsConflict(ConflictError):
    """Already done or decided: reversed, judged, completed, imported, a source of somebody
    else (HTTP 409)."""


class PointsPermissionDenied(PermissionDeniedError):
    """The user may not do this (HTTP 403)."""


def points_event_record(
    *, kind: str, actor=None, data: dict[str, Any] | None = None
) -> PointsEvent:
    return PointsEvent.objects.create(kind=kind, actor=actor, data=data or {})


def _rule(code: str) -> PointRule:
    rule = PointRule.objects.filter(code=code).first()
    if rule is None:
        raise PointsError(_(MSG_UNKNOWN_RULE) % {"code": code})
    return rule


@transaction.atomic
def points_award(
    *,
    employee,
    rule_code: str,
    source: str,
    amount: int | None = None,
    granted_by=None,
    note: str = "",
    note_code: str = "",
    note_params: dict | None = None,
) -> PointsEntry:
    """Pay ``employee`` under the rule ``rule_code`` for ``source`` (a unique key such as
    "proposal:123:proposer") and return the ledger row.

    Idempotent on ``source``: when a row for it exists (a retried task, a double click, a
    concurrent request), that row is returned and nothing more is paid. ``amount`` None
    means the rule's default. Raises PointsError (exact messages) for an unknown or inactive
    rule, AmountInvalid for an amount outside the rule's range, PointsConflict for a source
    already used for somebody else.
    """
    existing = PointsEntry.objects.filter(source=source).first()
    if existing is not None:
        return _same_employee(existing, employee)
    rule = _rule(rule_code)
    if not rule.active:
        raise PointsError(_(MSG_INACTIVE_RULE) % {"rule": rule.name})
    amount = rule.resolve_amount(amount)
    try:
        # The savepoint keeps the outer transaction usable when a concurrent request wrote
        # the same source first: the unique constraint refuses ours, we return theirs.
        with transaction.atomic():
            return PointsEntry.objects.create(
                employee=employee,
                amount=amount,
                rule=rule,
                source=source,
                granted_by=granted_by,
                note=note.strip(),
                note_code=note_code,
                note_params=note_params or {},
            )
    except IntegrityError:
        existing = PointsEntry.objects.filter(source=source).first()
        if existing is None:
            raise
        return _same_employee(existing, employee)


def points_award_if_active(
    *, employee, rule_code: str, source: str, amount: int | None = None, note: str = ""
) -> PointsEntry | None:
    """Pay a reward decided by a committee vote (the review kinds' hooks): like points_award,
    idempotent on ``source``, but a rule switched off in admin (inactive or missing) pays
    nothing and returns None instead of refusing — the committee's decision stands. An
    ``amount`` chosen under an older range is clamped into the rule's current range (an
    admin narrowed it while the vote ran); None pays the rule's default."""
    rule = PointRule.objects.filter(code=rule_code, active=True).first()
    if rule is None:
        return None
    if amount is not None:
        if rule.min_amount is not None:
            amount = max(amount, rule.min_amount)
        if rule.max_amount is not None:
            amount = min(amount, rule.max_amount)
    return points_award(
        employee=employee, rule_code=rule_code, source=source, amount=amount, note=note
    )


def _same_employee(entry: PointsEntry, employee) -> PointsEntry:
    if entry.employee_id != employee.pk:
        raise PointsConflict(_(MSG_SOURCE_OTHER_EMPLOYEE) % {"source": entry.source})
    return entry


@transaction.atomic
def points_reverse(*, entry_id: int, by, reason: str) -> PointsEntry:
    """Write the row that cancels entry ``entry_id`` (same employee and rule, opposite amount,
    source "reversal:<id>"). Raises PointsEntry.DoesNotExist, PointsPermissionDenied (also for
    one's own entry: nobody corrects their own points), PointsError (a reversal, no reason) or
    PointsConflict (already reversed)."""
    if not by.has_perm(points_roles.CORRECT_ENTRIES):
        raise PointsPermissionDenied
    if not (reason or "").strip():
        raise PointsError(_(MSG_REASON_REQUIRED), field="reason")
    original = PointsEntry.objects.select_for_update().select_related("rule").get(pk=entry_id)
    if original.employee_id == by.pk:
        raise PointsPermissionDenied
    if original.reverses_id is not None:
        raise PointsError(_(MSG_CANNOT_REVERSE_REVERSAL))
    if PointsEntry.objects.filter(reverses=original).exists():
        raise PointsConflict(_(MSG_ALREADY_REVERSED))
    try:
        with transaction.atomic():
            reversal = PointsEntry.objects.create(
                employee_id=original.employee_id,
                amount=-original.amount,
                rule=original.rule,
                source=f"reversal:{original.pk}",
                granted_by=by,
                note=reason.strip(),
                reverses=original,
            )
    except IntegrityError:
        raise PointsConflict(_(MSG_ALREADY_REVERSED)) from None
    points_event_record(
        kind=PointsEvent.Kind.ENTRY_REVERSED,
        actor=by,
        data={"entry": original.pk, "reversal": reversal.pk, "reason": reason.strip()},
    )
    return reversal


@transaction.atomic
def points_correct(
    *, employee, amount: int, by, reason: str, token: str | None = None
) -> PointsEntry:
    """A manual correction (a non-zero amount within the "manual_correction" rule's range,
    ±200 by default; AmountInvalid otherwise) by someone allowed to correct entries.
    ``token`` (from the form, e.g. a UUID rendered with it) makes a double submit pay once.
    Nobody corrects their own points (a manager who is also a CSR): PointsPermissionDenied."""
    if not by.has_perm(points_roles.CORRECT_ENTRIES) or employee.pk == by.pk:
        raise PointsPermissionDenied
    if not (reason or "").strip():
        raise PointsError(_(MSG_REASON_REQUIRED), field="reason")
    if token is not None and len(token) > MAX_TOKEN_LENGTH:
        raise PointsError(_(MSG_TOKEN_TOO_LONG), field="token")
    source = f"manual:{token or uuid.uuid4().hex}"
    before = PointsEntry.objects.filter(source=source).exists()
    if not before and isinstance(amount, int) and amount > 0:
        _refuse_corrections_over_limit(employee=employee, amount=amount, by=by)
    entry = points_award(
        employee=employee,
        rule_code=PointRule.MANUAL_CORRECTION,
        source=source,
        amount=amount,
        granted_by=by,
        note=reason,
    )
    if not before:
        points_event_record(
            kind=PointsEvent.Kind.MANUAL_CORRECTION,
            actor=by,
            data={"entry": entry.pk, "employee": employee.pk, "amount": amount},
        )
    return entry


def _refuse_corrections_over_limit(*, employee, amount: int, by) -> None:
    """PointsError (on "amount") when ``by``'s positive corrections for ``employee`` in the
    last 30 days plus ``amount`` exceed PointsSettings.correction_limit_30_days: ±200 a
    correction, but not 200 every day for a colleague. The corrector's row is locked while
    counting (config/locks.py: user rows first), so two corrections at once are counted one
    after the other."""
    _rule(PointRule.MANUAL_CORRECTION).resolve_amount(
        amount
    )  # the rule's range is said first (AmountInvalid)
    limit = PointsSettings.current().correction_limit_30_days
    employees_lock([by.pk])
    given = (
        PointsEntry.objects.filter(
            rule__code=PointRule.MANUAL_CORRECTION,
            granted_by=by,
            employee=employee,
            amount__gt=0,
            created_at__gte=timezone.now() - timedelta(days=30),
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )
    if given + amount > limit:
        raise PointsError(
            _(MSG_CORRECTION_LIMIT) % {"given": given, "limit": limit}, field="amount"
        )


# --- committee members' review points ------------------------------------------------

# The rules paying committee members for reviewing (what the daily cap counts).
REVIEW_RULES = (PointRule.COMMITTEE_KB_REVIEW, PointRule.COMMITTEE_CASE_REVIEW)


def review_source(*, proposal_id: int, reviewer_id: int) -> str:
    """The ledger source of a member's review points for one proposal (unique: paid once)."""
    return f"review:{proposal_id}:{reviewer_id}"


def review_points_paid_today(employee_ids) -> dict[int, int]:
    """Review points (REVIEW_RULES, reversals not subtracted) paid to each of ``employee_ids``
    since midnight Asia/Shanghai; employees paid none are missing from the dict."""
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    rows = (
        PointsEntry.objects.filter(
            employee_id__in=employee_ids,
            rule__code__in=REVIEW_RULES,
            reverses__isnull=True,
            created_at__gte=midnight,
        )
        .values("employee_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {row["employee_id"]: row["total"] for row in rows}


@transaction.atomic
def review_votes_pay(*, proposal, votes, rule_code: str, daily_cap: int) -> list[PointsEntry]:
    """Pay the members who cast ``votes`` — the votes the committee's decision on
    ``proposal`` followed (the approvals of an applied proposal, the rejections of a
    rejected one) — the rule ``rule_code``'s default amount each, source
    review_source(proposal, reviewer): exactly once per proposal and member.

    A vote that would take its member's review points of the day (review_points_paid_today)
    above ``daily_cap`` pays nothing, and a PointsEvent "review_points_capped" says so; an
    inactive or missing rule pays nothing. The members' rows are locked (by id, after the
    proposal the caller locked) while the day's points are counted, so two decisions at the
    same moment cannot both fill the same member's last place. Returns the new entries."""
    rule = PointRule.objects.filter(code=rule_code, active=True).first()
    if rule is None or rule.default_amount is None or not votes:
        return []
    amount = rule.default_amount
    reviewer_ids = sorted({vote.reviewer_id for vote in votes})
    employees_lock(reviewer_ids)
    paid = review_points_paid_today(reviewer_ids)
    already = set(
        PointsEntry.objects.filter(
            source__in=[
                review_source(proposal_id=proposal.pk, reviewer_id=pk) for pk in reviewer_ids
            ]
        ).values_list("source", flat=True)
    )
    entries = []
    for vote in votes:
        source = review_source(proposal_id=proposal.pk, reviewer_id=vote.reviewer_id)
        if source in already:
            continue
        already.add(source)
        if paid.get(vote.reviewer_id, 0) + amount > daily_cap:
            points_event_record(
                kind=PointsEvent.Kind.REVIEW_POINTS_CAPPED,
                actor=None,
                data={
                    "proposal": proposal.pk,
                    "employee": vote.reviewer_id,
                    "rule": rule.code,
                    "amount": amount,
                    "paid_today": paid.get(vote.reviewer_id, 0),
                    "daily_cap": daily_cap,
                },
            )
            continue
        entry = points_award(
            employee=vote.reviewer,
            rule_code=rule.code,
            source=source,
            amount=amount,
            note_code=NOTE_REVIEW_VOTE,
            note_params={"proposal": proposal.pk, "kind": proposal.kind},
        )
        paid[vote.reviewer_id] = paid.get(vote.reviewer_id, 0) + entry.amount
        entries.append(entry)
    return entries


def reviewer_reward(rule_code: str) -> Callable[[Any, list], None]:
    """The on_decided hook of a review kind (review.registry.ProposalKind): the one place
    that pays committee members for reviewing. A member is paid for a vote only when the
    proposal was decided the way they voted, at the decision, within the daily cap of
    PointsSettings.review_points_daily_cap (review_votes_pay)."""

    def on_decided(proposal, votes) -> None:
        review_votes_pay(
            proposal=proposal,
            votes=votes,
            rule_code=rule_code,
            daily_cap=PointsSettings.current().review_points_daily_cap,
        )

    return on_decided


# Why a ledger row paid for a proposal was paid, by its source (msgids, translated when the
# notification is read): the members' review points (review_source) and the proposer's
# reward ("proposal:<proposal>:proposer", the kinds' on_applied hooks).
PROPOSAL_REWARD_REASONS = (
    ("review:{pk}:", gettext_noop("for your review")),
    ("proposal:{pk}:", gettext_noop("for your accepted proposal")),
)


def proposal_rewards(reasons=PROPOSAL_REWARD_REASONS) -> Callable[[Any], list]:
    """The ``rewards`` hook of a review kind (review.registry.ProposalKind): the ledger rows
    paid for the proposal under the sources of ``reasons`` ((source prefix with "{pk}",
    msgid), the first matching prefix gives the reason), oldest first."""

    def rewards(proposal) -> list:
        from review.registry import Reward

        prefixes = [(prefix.format(pk=proposal.pk), reason) for prefix, reason in reasons]
        matching = Q()
        for prefix, _reason in prefixes:
            matching |= Q(source__startswith=prefix)
        return [
            Reward(
                employee_id=entry.employee_id,
                amount=entry.amount,
                key=f"points-entry:{entry.pk}",
                reason=next(
                    reason for prefix, reason in prefixes if entry.source.startswith(prefix)
                ),
            )
            for entry in PointsEntry.objects.filter(matching).order_by("pk")
        ]

    return rewards


# --- rationalisation proposals -------------------------------------------------------


@transaction.atomic
def rationalisation_submit(*, proposer, title: str, description: str) -> RationalisationProposal:
    title, description = (title or "").strip(), (description or "").strip()
    if not title or not description:
        raise PointsError(_("Give a title and a description."))
    proposal = RationalisationProposal.objects.create(
        proposer=proposer, title=title, description=description
    )
    points_event_record(
        kind=PointsEvent.Kind.PROPOSAL_SUBMITTED, actor=proposer, data={"proposal": proposal.pk}
    )
    return proposal


VERDICT_RULES = {
    RationalisationProposal.Status.REASONABLE: PointRule.RATIONALISATION_REASONABLE,
    RationalisationProposal.Status.FEASIBLE: PointRule.RATIONALISATION_FEASIBLE,
}


@transaction.atomic
def rationalisation_judge(
    *, proposal_id: int, judge, verdict: str, amount: int | None = None, comment: str = ""
) -> RationalisationProposal:
    """Judge a proposal rejected / reasonable / feasible. Reasonable and feasible pay the
    proposer ``amount`` (within the rule's range; the default when None) under source
    "rationalisation:<id>". Raises RationalisationProposal.DoesNotExist,
    PointsPermissionDenied, PointsConflict (already judged), PointsError or AmountInvalid."""
    if not judge.has_perm(points_roles.JUDGE_PROPOSALS):
        raise PointsPermissionDenied
    proposal = (
        RationalisationProposal.objects.select_for_update()
        .select_related("proposer")
        .get(pk=proposal_id)
    )
    if proposal.status != RationalisationProposal.Status.SUBMITTED:
        raise PointsConflict(_(MSG_ALREADY_JUDGED), code="already_judged")
    if proposal.proposer_id == judge.pk:
        raise PointsPermissionDenied(_(MSG_OWN_PROPOSAL))
    if (
        verdict not in RationalisationProposal.Status.values
        or verdict == RationalisationProposal.Status.SUBMITTED
    ):
        raise PointsError(_("Choose rejected, reasonable or feasible."), field="verdict")
    entry = None
    if verdict in VERDICT_RULES:
        entry = points_award(
            employee=proposal.proposer,
            rule_code=VERDICT_RULES[verdict],
            source=proposal.source_key,
            amount=amount,
            granted_by=judge,
            note=proposal.title,
        )
    elif not (comment or "").strip():
        raise PointsError(_("Say why you reject the proposal."), field="comment")
    proposal.status = verdict
    proposal.amount = entry.amount if entry else None
    proposal.entry = entry
    proposal.judged_by = judge
    proposal.judged_at = timezone.now()
    proposal.judge_comment = (comment or "").strip()
    proposal.save(
        update_fields=["status", "amount", "entry", "judged_by", "judged_at", "judge_comment"]
    )
    points_event_record(
        kind=PointsEvent.Kind.PROPOSAL_JUDGED,
        actor=judge,
        data={"proposal": proposal.pk, "verdict": verdict, "amount": proposal.amount},
    )
    return proposal


# --- QC topics -------------------------------------------------------------------------


@transaction.atomic
def qc_topic_publish(
    *,
    by,
    title: str,
    description: str = "",
    points_per_member: int,
    max_groups: int = 3,
    min_group_size: int = 3,
    max_group_size: int = 5,
) -> QCTopic:
    """Publish a QC topic. ``points_per_member`` must lie within the "qc_topic_completed"
    rule's range (PointsError on the field otherwise), so completion can always pay it."""
    if not by.has_perm(points_roles.MANAGE_QC_TOPICS):
        raise PointsPermissionDenied
    try:
        _rule(PointRule.QC_TOPIC_COMPLETED).resolve_amount(points_per_member)
    except AmountInvalid as exc:
        raise PointsError(fields={"points_per_member": exc.messages}) from None
    topic = QCTopic(
        title=(title or "").strip(),
        description=(description or "").strip(),
        points_per_member=points_per_member,
        max_groups=max_groups,
        min_group_size=min_group_size,
        max_group_size=max_group_size,
        published_by=by,
    )
    try:
        topic.full_clean()
    except ValidationError as exc:  # the model's own field rules, as field messages
        raise PointsError(fields=exc.message_dict) from None
    topic.save()
    points_event_record(kind=PointsEvent.Kind.TOPIC_PUBLISHED, actor=by, data={"topic": topic.pk})
    return topic


def qc_member_eligible(user) -> bool:
    """True when ``user`` may claim a QC topic or be named in a group: a front-line employee
    (the CSR role's study permission) who does not publish and complete QC topics: whoever
    confirms completion and pays the groups is never in one (a manager who also works as a
    CSR included; a superuser holds every permission, so never)."""
    if not user.is_active:
        return False
    held = user.get_user_permissions() | user.get_group_permissions()
    return roles.STUDY in held and points_roles.MANAGE_QC_TOPICS not in held


@transaction.atomic
def qc_group_claim(
    *, topic_id: int, creator, name: str, member_staff_ids: list[str] | str
) -> QCGroup:
    """``creator`` forms a group (themselves plus the named staff IDs) and claims the topic.

    The topic row is locked (SELECT … FOR UPDATE) while its groups are counted, so two
    last claims at the same moment cannot both get the last place. Raises
    QCTopic.DoesNotExist, PointsConflict (closed, full) or PointsError (group size, unknown
    staff ID, somebody who is not a front-line CSR — qc_member_eligible, the creator
    included — or already in a group of this topic)."""
    topic = QCTopic.objects.select_for_update().get(pk=topic_id)
    if topic.status != QCTopic.Status.OPEN:
        raise PointsConflict(_(MSG_TOPIC_CLOSED))
    if topic.groups.count() >= topic.max_groups:
        raise PointsConflict(_(MSG_TOPIC_FULL) % {"max": topic.max_groups})
    staff_ids = staff_ids_parse(member_staff_ids)
    if creator.staff_id not in staff_ids:
        staff_ids.insert(0, creator.staff_id)
    if not topic.min_group_size <= len(set(staff_ids)) <= topic.max_group_size:
        raise PointsError(
            _(MSG_GROUP_SIZE)
            % {
                "min": topic.min_group_size,
                "max": topic.max_group_size,
                "count": len(set(staff_ids)),
            },
            field="members",
        )
    users = staff_ids_check(
        staff_ids, field="members", error=PointsError, unknown_message=MSG_UNKNOWN_STAFF
    )
    ineligible = [s for s in staff_ids if not qc_member_eligible(users[s])]
    if ineligible:
        raise PointsError(_(MSG_NOT_QC_ELIGIBLE) % {"ids": ", ".join(ineligible)}, field="members")
    taken = list(
        QCGroupMember.objects.filter(topic=topic, employee__staff_id__in=staff_ids).values_list(
            "employee__staff_id", flat=True
        )
    )
    if taken:
        raise PointsError(
            _(MSG_ALREADY_IN_GROUP) % {"ids": ", ".join(sorted(taken))}, field="members"
        )
    group = QCGroup.objects.create(
        topic=topic,
        name=(name or "").strip() or _("Group of %(name)s") % {"name": creator.name},
        created_by=creator,
    )
    QCGroupMember.objects.bulk_create(
        [QCGroupMember(group=group, topic=topic, employee=users[s]) for s in staff_ids]
    )
    points_event_record(
        kind=PointsEvent.Kind.GROUP_CLAIMED,
        actor=creator,
        data={"topic": topic.pk, "group": group.pk, "members": staff_ids},
    )
    return group


@transaction.atomic
def qc_group_complete(*, group_id: int, by) -> list[PointsEntry]:
    """Mark the group's topic completed and pay each member the topic's points (source
    "qc:<group_id>:<employee_id>"). Raises QCGroup.DoesNotExist, PointsPermissionDenied (also
    for a member of the group — nobody pays themselves — and for the manager who published the
    topic: a second manager confirms what the first one offered) or PointsConflict (already
    completed)."""
    if not by.has_perm(points_roles.MANAGE_QC_TOPICS):
        raise PointsPermissionDenied
    group = QCGroup.objects.select_for_update().select_related("topic").get(pk=group_id)
    if group.members.filter(employee=by).exists():
        raise PointsPermissionDenied
    if group.topic.published_by_id == by.pk:  # publishing and paying are two people's decisions
        raise PointsPermissionDenied(_(MSG_OWN_TOPIC))
    if group.status == QCGroup.Status.COMPLETED:
        raise PointsConflict(_(MSG_GROUP_COMPLETED), code="already_completed")
    entries = [
        points_award(
            employee=member.employee,
            rule_code=PointRule.QC_TOPIC_COMPLETED,
            source=group.source_key(member.employee_id),
            amount=group.topic.points_per_member,
            granted_by=by,
            note=group.topic.title,
        )
        for member in group.members.select_related("employee")
    ]
    group.status = QCGroup.Status.COMPLETED
    group.completed_by = by
    group.completed_at = timezone.now()
    group.save(update_fields=["status", "completed_by", "completed_at"])
    points_event_record(
        kind=PointsEvent.Kind.GROUP_COMPLETED,
        actor=by,
        data={"group": group.pk, "topic": group.topic_id, "entries": [e.pk for e in entries]},
    )
    return entries


# --- volunteer sheets -----------------------------------------------------------------


class VolunteerSheetRejected(PointsError):
    """The sheet has bad rows; ``line_errors`` lists (line, message), the field messages of
    "file.<line>"; nothing was imported."""

    def __init__(self, line_errors: list[tuple[int, str]]):
        self.line_errors = line_errors
        super().__init__(_(MSG_SHEET_ERRORS), fields=line_fields(line_errors))


def volunteer_row_source(*, employee_id: int, day) -> str:
    """The ledger source of a paid volunteer row: one person, one day — the same work in
    another sheet (or a re-saved copy of the same sheet) can never be paid again."""
    return f"volunteer:{employee_id}:{day.isoformat()}"


@transaction.atomic
def volunteer_sheet_import(*, file_name: str, content: bytes, imported_by) -> VolunteerSheet:
    """Import a weekly volunteer sheet (CSV or XLSX: staff ID, date, hours, points, optional
    note; one row per person and day).

    All or nothing: every row is validated first — points within the "volunteer_sheet"
    rule's range (a row above its maximum is a line error) — and any bad row raises
    VolunteerSheetRejected with each line's error; nothing is written.

    A sheet is recognised by its rows, not its bytes: the same rows (sheet_fingerprint —
    re-saved with CRLF, with a BOM, re-exported as XLSX, reordered, with other notes) are
    refused with MSG_SHEET_DUPLICATE. A row whose person and day were already paid by any
    earlier sheet is a line error (MSG_SHEET_ROW_PAID). Each row pays under the source
    volunteer_row_source(employee, date), unique in the ledger, so even two imports racing
    cannot pay one person's day twice. Two genuine rows for one person on one day (two
    shifts) must be added up into one row by the canteen. A row paying the importer is a
    line error (MSG_SHEET_OWN_ROW): nobody pays themselves.

    A sheet whose total — added to the points of the sheets the same manager imported in the
    last UNCONFIRMED_WINDOW that paid without a second manager (unconfirmed_sheet_points) —
    is above PointsSettings.sheet_confirmation_threshold is stored PENDING and pays nothing
    (its rows have no entry) until another manager confirms it (volunteer_sheet_confirm) or
    rejects it (volunteer_sheet_reject); its people's days count as taken meanwhile
    (MSG_SHEET_ROW_PENDING). So a big sheet split into sheets just below the threshold (or
    back-dated days on many small sheets) still needs a second manager beyond the threshold
    per importer and rolling week; the importer's row is locked (NO KEY, config/locks.py 1)
    while that is counted, so two imports at once cannot both use the same allowance."""
    if not imported_by.has_perm(points_roles.IMPORT_VOLUNTEER_SHEETS):
        raise PointsPermissionDenied
    employees_lock([imported_by.pk])
    rule = _rule(PointRule.VOLUNTEER_SHEET)
    if not rule.active:
        raise PointsError(_(MSG_INACTIVE_RULE) % {"rule": rule.name})
    try:
        rows = parse_volunteer_sheet(
            file_name=file_name,
            content=content,
            bounds=PointsBounds(rule=rule.name, max=rule.max_amount, min=rule.min_amount),
        )
    except SheetInvalid as exc:
        raise VolunteerSheetRejected(exc.line_errors) from None
    fingerprint = sheet_fingerprint(rows)
    previous = VolunteerSheet.objects.filter(fingerprint=fingerprint).first()
    if previous is not None:
        raise PointsConflict(
            _(MSG_SHEET_DUPLICATE)
            % {
                "id": previous.pk,
                "date": timezone.localtime(previous.imported_at).date().isoformat(),
            }
        )
    own = [
        (row.line, _(MSG_SHEET_OWN_ROW) % {"staff_id": row.staff_id})
        for row in rows
        if row.employee.pk == imported_by.pk
    ]
    if own:
        raise VolunteerSheetRejected(own)
    _refuse_paid_rows(rows)
    total = sum(r.points for r in rows)
    threshold = PointsSettings.current().sheet_confirmation_threshold
    unconfirmed = unconfirmed_sheet_points(importer=imported_by)
    status = (
        VolunteerSheet.Status.PENDING
        if unconfirmed + total > threshold
        else VolunteerSheet.Status.PAID
    )
    try:
        with transaction.atomic():
            sheet = VolunteerSheet.objects.create(
                file_name=file_name[:200],
                fingerprint=fingerprint,
                sha256=hashlib.sha256(content).hexdigest(),
                imported_by=imported_by,
                row_count=len(rows),
                total_points=total,
                status=status,
            )
    except IntegrityError:
        raise PointsConflict(_(MSG_SHEET_BUSY)) from None
    if status == VolunteerSheet.Status.PENDING:
        VolunteerSheetRow.objects.bulk_create(
            [
                VolunteerSheetRow(
                    sheet=sheet,
                    line=row.line,
                    employee=row.employee,
                    hours=row.hours,
                    points=row.points,
                    date=row.date,
                    note=row.note,
                )
                for row in rows
            ]
        )
    else:
        for row in rows:
            entry = points_award(
                employee=row.employee,
                rule_code=PointRule.VOLUNTEER_SHEET,
                source=volunteer_row_source(employee_id=row.employee.pk, day=row.date),
                amount=row.points,
                granted_by=imported_by,
                note=row.note or file_name,
            )
            try:
                with transaction.atomic():
                    VolunteerSheetRow.objects.create(
                        sheet=sheet,
                        line=row.line,
                        employee=row.employee,
                        hours=row.hours,
                        points=row.points,
                        date=row.date,
                        note=row.note,
                        entry=entry,
                    )
            except IntegrityError:  # points_award returned the entry a concurrent import wrote
                raise PointsConflict(_(MSG_SHEET_ROW_PAID_MEANWHILE)) from None
    points_event_record(
        kind=PointsEvent.Kind.SHEET_IMPORTED,
        actor=imported_by,
        data={
            "sheet": sheet.pk,
            "rows": len(rows),
            "points": sheet.total_points,
            "status": status,
            "threshold": threshold,
        },
    )
    return sheet


# The window in which one manager's sheets paid without a second manager add up against the
# confirmation threshold (a weekly sheet: one week).
UNCONFIRMED_WINDOW = timedelta(days=7)


def unconfirmed_sheet_points(*, importer) -> int:
    """Points of the sheets ``importer`` imported in the last UNCONFIRMED_WINDOW that were
    paid at import, without a second manager (PAID, no decided_by); 0 for none."""
    return (
        VolunteerSheet.objects.filter(
            imported_by=importer,
            status=VolunteerSheet.Status.PAID,
            decided_by__isnull=True,
            imported_at__gt=timezone.now() - UNCONFIRMED_WINDOW,
        ).aggregate(total=Sum("total_points"))["total"]
        or 0
    )


def _pending_sheet(*, sheet_id: int, by) -> VolunteerSheet:
    """The sheet ``sheet_id`` locked (SELECT … FOR UPDATE: a second confirm or reject waits,
    then finds it decided) and still pending. Raises PointsPermissionDenied,
    VolunteerSheet.DoesNotExist or PointsConflict (already decided)."""
    if not by.has_perm(points_roles.IMPORT_VOLUNTEER_SHEETS):
        raise PointsPermissionDenied
    sheet = VolunteerSheet.objects.select_for_update().get(pk=sheet_id)
    if sheet.status != VolunteerSheet.Status.PENDING:
        raise PointsConflict(_(MSG_SHEET_NOT_PENDING), code="sheet_decided")
    return sheet


@transaction.atomic
def volunteer_sheet_confirm(*, sheet_id: int, by) -> VolunteerSheet:
    """A second manager confirms a pending sheet: each row is paid (source
    volunteer_row_source, granted by ``by``) and the sheet becomes PAID, exactly once — the
    sheet row is locked, so a double click or two managers at once pay it once (the second
    gets PointsConflict). Nobody confirms a sheet they imported or that pays them
    (PointsPermissionDenied with the message)."""
    sheet = _pending_sheet(sheet_id=sheet_id, by=by)
    if sheet.imported_by_id == by.pk:
        raise PointsPermissionDenied(_(MSG_SHEET_OWN_IMPORT))
    rows = list(sheet.rows.select_related("employee").order_by("line"))
    own = next((row for row in rows if row.employee_id == by.pk), None)
    if own is not None:
        raise PointsPermissionDenied(_(MSG_SHEET_PAYS_YOU) % {"line": own.line})
    for row in rows:
        source = volunteer_row_source(employee_id=row.employee_id, day=row.date)
        if PointsEntry.objects.filter(source=source).exists():  # two pending sheets raced at import
            raise PointsConflict(
                _(MSG_SHEET_ROW_PAID_SINCE)
                % {
                    "staff_id": row.employee.staff_id,
                    "date": row.date.isoformat(),
                    "line": row.line,
                }
            )
        row.entry = points_award(
            employee=row.employee,
            rule_code=PointRule.VOLUNTEER_SHEET,
            source=source,
            amount=row.points,
            granted_by=by,
            note=row.note or sheet.file_name,
        )
        row.save(update_fields=["entry"])
    sheet.status = VolunteerSheet.Status.PAID
    sheet.decided_by = by
    sheet.decided_at = timezone.now()
    sheet.save(update_fields=["status", "decided_by", "decided_at"])
    points_event_record(
        kind=PointsEvent.Kind.SHEET_CONFIRMED,
        actor=by,
        data={
            "sheet": sheet.pk,
            "rows": len(rows),
            "points": sheet.total_points,
            "imported_by": sheet.imported_by_id,
            "entries": [row.entry_id for row in rows],
        },
    )
    return sheet


@transaction.atomic
def volunteer_sheet_reject(*, sheet_id: int, by, reason: str) -> VolunteerSheet:
    """A manager rejects a pending sheet (the importer may withdraw their own): nothing is
    paid, ever; its people's days may come on a corrected sheet. A reason is required."""
    if not (reason or "").strip():
        raise PointsError(_(MSG_REASON_REQUIRED), field="reason")
    sheet = _pending_sheet(sheet_id=sheet_id, by=by)
    sheet.status = VolunteerSheet.Status.REJECTED
    sheet.decided_by = by
    sheet.decided_at = timezone.now()
    sheet.decision_note = reason.strip()
    sheet.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    points_event_record(
        kind=PointsEvent.Kind.SHEET_REJECTED,
        actor=by,
        data={"sheet": sheet.pk, "points": sheet.total_points, "reason": sheet.decision_note},
    )
    return sheet


def _refuse_paid_rows(rows) -> None:
    """VolunteerSheetRejected naming every row whose person and day an earlier sheet paid
    or is waiting to pay (rows of rejected sheets do not count)."""
    paid = {
        (row.employee_id, row.date): row
        for row in VolunteerSheetRow.objects.filter(
            employee_id__in={r.employee.pk for r in rows}, date__in={r.date for r in rows}
        )
        .exclude(sheet__status=VolunteerSheet.Status.REJECTED)
        .select_related("sheet")
        .only("employee_id", "date", "sheet_id", "line", "sheet__status")
    }
    errors = []
    for row in rows:
        earlier = paid.get((row.employee.pk, row.date))
        if earlier is not None:
            message = (
                MSG_SHEET_ROW_PENDING
                if earlier.sheet.status == VolunteerSheet.Status.PENDING
                else MSG_SHEET_ROW_PAID
            )
            errors.append(
                (
                    row.line,
                    _(message)
                    % {
                        "staff_id": row.staff_id,
                        "date": row.date.isoformat(),
                        "sheet": earlier.sheet_id,
                        "line": earlier.line,
                    },
                )
            )
    if errors:
        raise VolunteerSheetRejected(errors)
