"""config.idsets.id_set: many ids as one array parameter on PostgreSQL, the plain list
elsewhere — the same rows either way."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from config.idsets import id_set
from curriculum.models import Enrolment
from curriculum.tests.factories import CourseFactory, EnrolmentFactory

pytestmark = pytest.mark.django_db


def test_the_same_rows_as_the_list_on_plain_and_related_lookups():
    course = CourseFactory()
    people = UserFactory.create_batch(4, roles=["CSR"])
    for person in people:
        EnrolmentFactory(employee=person, course=course)
    wanted = [people[0].pk, people[2].pk, 10**12]  # an id that does not exist
    expected = set(Enrolment.objects.filter(employee_id__in=wanted).values_list("pk", flat=True))
    assert len(expected) == 2
    for lookup in ("employee_id__in", "employee__in"):
        rows = Enrolment.objects.filter(**{lookup: id_set(wanted)}).values_list("pk", flat=True)
        assert set(rows) == expected
    assert not Enrolment.objects.filter(employee_id__in=id_set([])).exists()


def test_one_array_parameter_on_postgresql_whatever_the_number_of_ids():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    query = Enrolment.objects.filter(employee_id__in=id_set(range(1, 2001))).query
    sql, params = query.get_compiler(using="default").as_sql()
    assert "IN (SELECT unnest(%s::bigint[]))" in sql
    assert params == (list(range(1, 2001)),)  # one parameter, not 2,000
    with CaptureQueriesContext(connection) as queries:
        list(Enrolment.objects.filter(employee_id__in=id_set(range(1, 2001))))
    assert len(queries) == 1


def test_elsewhere_the_plain_list(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    assert id_set(["3", 4]) == [3, 4]
