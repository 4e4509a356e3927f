"""Lists of staff IDs typed by people (raters of a Q-sort, members of a QC group, the other
participants of a case): the one way such a list is read and checked.

- ``staff_ids_parse``: separated by spaces, new lines, commas, semicolons or 、 (half- and
  full-width), compared case-insensitively (staff IDs are stored upper-case), in the order
  written, repeats kept so that the check can name them.
- ``staff_ids_check``: every staff ID named once and belonging to an active employee; else a
  field error (the caller's error class and field) naming the bad IDs — all unknown ones at
  once, so the user fixes the list in one go.
"""

import re
from collections.abc import Iterable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from config.errors import AppError, ValidationFailedError

SEPARATORS = re.compile(r"[\s,，、;；]+")
MSG_REPEATED = gettext_noop("%(staff_id)s is named twice.")
MSG_UNKNOWN = gettext_noop("Unknown or inactive staff IDs: %(ids)s.")


class StaffIdsInvalid(ValidationFailedError):
    """A typed list of staff IDs was refused (HTTP 400; the field the caller names)."""


def staff_ids_parse(raw: str | Iterable[str] | None) -> list[str]:
    """The staff IDs in ``raw`` — one typed string, split at the separators, or a list
    whose every item is one staff ID (an item is never split: "HB1 HB2" as one item is one
    unknown ID) — stripped and upper-cased, in the order written, repeats kept; [] for
    nothing."""
    if raw is None:
        return []
    items = SEPARATORS.split(raw) if isinstance(raw, str) else [str(item or "") for item in raw]
    return [item.strip().upper() for item in items if item.strip()]


def staff_ids_check(
    staff_ids: list[str],
    *,
    field: str,
    error: type[AppError] = StaffIdsInvalid,
    unknown_message: str = MSG_UNKNOWN,
) -> dict:
    """{staff ID: active User} for ``staff_ids`` (as staff_ids_parse returns them), in their
    order. Raises ``error`` on ``field``: the first staff ID named twice, else every staff ID
    of no active employee (``unknown_message``, an untranslated msgid with %(ids)s or
    %(staff_id)s, both the comma-joined list). One query."""
    from accounts.models import User

    seen: set[str] = set()
    for staff_id in staff_ids:
        if staff_id in seen:
            raise error(_(MSG_REPEATED) % {"staff_id": staff_id}, field=field)
        seen.add(staff_id)
    users = {u.staff_id: u for u in User.objects.filter(staff_id__in=staff_ids, is_active=True)}
    unknown = [staff_id for staff_id in staff_ids if staff_id not in users]
    if unknown:
        joined = ", ".join(unknown)
        raise error(_(unknown_message) % {"ids": joined, "staff_id": joined}, field=field)
    return {staff_id: users[staff_id] for staff_id in staff_ids}
