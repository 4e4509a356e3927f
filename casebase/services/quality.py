"""Quality-case review applications (kind "quality_case"): who may apply (quality_case_check),
the application and its applier."""

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from casebase.models import Case
from casebase.selectors import KIND_QUALITY, KIND_REVISION, case_contributors
from casebase.services.errors import CaseConflict, CaseError, CasePermissionDenied
from casebase.services.proposals import case_proposals
from config.locks import retry_on_deadlock
from review.models import Proposal
from review.registry import StaleBaseVersion
from review.services import proposal_create

# Quality-case review applications.
MSG_QUALITY_NOT_CONTRIBUTOR = gettext_noop(
    "Only the case's contributors (its author, or the proposer or a named participant of an "
    "accepted creation or revision of it) may apply for its quality-case review."
)
MSG_QUALITY_OPEN = gettext_noop("This case already has an open quality-case application.")
MSG_QUALITY_PASSED = gettext_noop(
    "This case already passed a quality-case review; it may apply again after a later accepted "
    "revision."
)
MSG_QUALITY_STATEMENT = gettext_noop("Say why the case is a quality case.")
MSG_QUALITY_JUDGED = gettext_noop(
    "The committee already judged this version of the case in a quality-case review; it may apply "
    "again after a later accepted revision."
)


def quality_case_check(*, case: Case, applicant, contributors: list | None = None) -> None:
    """THE rule of who may apply for ``case``'s quality-case review now (the service, the
    case page and the apply page all call it). Raises CasePermissionDenied when
    ``applicant`` is not one of the case's contributors (casebase.selectors.case_contributors),
    CaseConflict when the case has an open application, or already passed and was not revised
    (an accepted revision) since: it may apply again only with new work to judge. Likewise
    a version whose application was rejected, or withdrawn after a vote, is not judged
    again (every vote pays the member, so re-applying would farm review points). The
    caller fetched an ACTIVE case."""
    contributors = case_contributors(case) if contributors is None else contributors
    if applicant.pk not in {c.employee.pk for c in contributors}:
        raise CasePermissionDenied(_(MSG_QUALITY_NOT_CONTRIBUTOR))
    if case_proposals(case, KIND_QUALITY).filter(status=Proposal.Status.OPEN).exists():
        raise CaseConflict(_(MSG_QUALITY_OPEN), code="quality_application_open")
    passed = (
        case_proposals(case, KIND_QUALITY)
        .filter(status=Proposal.Status.APPLIED)
        .order_by("-decided_at")
        .values_list("decided_at", flat=True)
        .first()
    )
    if (
        passed is not None
        and not case_proposals(case, KIND_REVISION)
        .filter(status=Proposal.Status.APPLIED, decided_at__gt=passed)
        .exists()
    ):
        raise CaseConflict(_(MSG_QUALITY_PASSED), code="quality_case_passed")
    if (
        case_proposals(case, KIND_QUALITY)
        .filter(base_version=case.version)
        .filter(Q(status=Proposal.Status.REJECTED) | Q(votes__isnull=False))
        .exists()
    ):
        raise CaseConflict(_(MSG_QUALITY_JUDGED), code="quality_case_judged")


@retry_on_deadlock
@transaction.atomic
def quality_case_apply(*, applicant, case_id: int, statement: str) -> Proposal:
    """``applicant`` applies for the quality-case review of the active case ``case_id``
    (Case.DoesNotExist otherwise): a "quality_case" proposal the committee votes on. Its
    payload snapshots the contributors (who are paid when it passes and among whom each
    approving member names the outstanding one); every contributor is recused from voting
    on it (a vote on one's own reward is a conflict of interest).

    The case row is locked while the rule is checked, so two applications at the same
    moment make one. Raises CasePermissionDenied or CaseConflict (quality_case_check), CaseError (a
    missing statement: field "statement")."""
    case = Case.objects.active().select_for_update().get(pk=case_id)
    contributors = case_contributors(case)
    quality_case_check(case=case, applicant=applicant, contributors=contributors)
    statement = (statement or "").strip()
    if not statement:
        raise CaseError(_(MSG_QUALITY_STATEMENT), field="statement")
    return proposal_create(
        kind=KIND_QUALITY,
        proposer=applicant,
        reason=statement,
        target=case,
        base_version=case.version,
        payload={"title": case.title, "contributors": [c.employee.pk for c in contributors]},
        recused=[c.employee for c in contributors],
    )


def apply_quality_case(proposal: Proposal) -> int:
    """Applier of a passed "quality_case" proposal: the case itself does not change (the
    points are paid by the kind's on_applied hook). Raises StaleBaseVersion when the case was
    revised or moved to the history library since the application (apply again). Returns
    the case's version."""
    case = Case.objects.select_for_update().get(pk=proposal.target_id)
    if case.status != Case.Status.ACTIVE or case.version != proposal.base_version:
        raise StaleBaseVersion()
    return case.version
