"""Input validators shared by the apps' forms and serializers."""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

# The dates a filter or report may ask for. Far wider than any record of the system, and
# far enough from date.min/date.max (and from the UTC shift of a local midnight) that the
# date arithmetic of a filter ("before the day after date_to") can never overflow.
DATE_MIN = date(2000, 1, 1)
DATE_MAX = date(2099, 12, 31)
MSG_DATE_RANGE = gettext_noop("Choose a date between %(min)s and %(max)s.")


def filter_date(value: date) -> None:
    """Validator of a date filter (forms and serializers): DATE_MIN … DATE_MAX."""
    if value is not None and not DATE_MIN <= value <= DATE_MAX:
        raise ValidationError(
            _(MSG_DATE_RANGE) % {"min": DATE_MIN.isoformat(), "max": DATE_MAX.isoformat()},
            code="date_range",
        )
