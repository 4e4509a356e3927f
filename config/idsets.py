"""Many ids as ONE query parameter. ``field__in=[…2,000 ids…]`` makes Django prepare and
bind every id on its own (about 5–10 ms of CPU per query for 2,000 ids: a roster chunk's
gap analyses and remedial plans send four such lists); on PostgreSQL ``id_set`` sends them
as one array (``IN (SELECT unnest(%s::bigint[]))``), adapted by psycopg2 in C. Elsewhere
(SQLite, the embedded default) it is the plain list."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import BigIntegerField
from django.db.models.expressions import RawSQL


def id_set(ids: Iterable[int]):
    """The right-hand side of an ``__in`` lookup on integer ids or foreign keys."""
    # As the plain list does: None matches nothing, nor does an id no bigint column holds.
    ids = [pk for pk in map(int, (pk for pk in ids if pk is not None)) if -(2**63) <= pk < 2**63]
    if connection.vendor != "postgresql":
        return ids
    return RawSQL("SELECT unnest(%s::bigint[])", (ids,), output_field=BigIntegerField())
