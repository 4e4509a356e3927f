"""Study and ratings: an employee marks a case studied and rates it once."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from casebase.models import CaseRating, CaseStudy
from casebase.selectors import study_cases
from casebase.services.errors import CaseAlreadyRated, CaseError

MSG_ALREADY_RATED = gettext_noop("You have already rated this case; a rating cannot be changed.")


@transaction.atomic
def case_mark_studied(*, employee, case_id: int) -> tuple[CaseStudy, bool]:
    """Record that ``employee`` studied a case of their study scope (Case.DoesNotExist for
    anything else, e.g. a test case). Returns (row, created); a second call keeps the first
    timestamp."""
    case = study_cases(employee).get(pk=case_id)
    try:
        with transaction.atomic():
            return CaseStudy.objects.get_or_create(employee=employee, case=case)
    except IntegrityError:  # a double click raced us
        return CaseStudy.objects.get(employee=employee, case=case), False


@transaction.atomic
def case_rate(*, employee, case_id: int, value: str) -> CaseRating:
    """Record ``employee``'s one rating of a case in their study scope (一人一案只能评价一次).
    Raises CaseError for a value other than excellent/average/poor, Case.DoesNotExist outside
    the study scope, and CaseAlreadyRated (MSG_ALREADY_RATED) when the employee rated the
    case before — also when two first ratings race: the unique constraint (employee, case)
    refuses the second row and its request gets the same refusal."""
    if value not in CaseRating.Value.values:
        raise CaseError(_("Choose excellent, average or poor."), field="value")
    case = study_cases(employee).get(pk=case_id)
    if CaseRating.objects.filter(employee=employee, case=case).exists():
        raise CaseAlreadyRated(_(MSG_ALREADY_RATED))
    try:
        with transaction.atomic():
            return CaseRating.objects.create(employee=employee, case=case, value=value)
    except IntegrityError:  # a concurrent first rating by the same employee won
        raise CaseAlreadyRated(_(MSG_ALREADY_RATED)) from None
