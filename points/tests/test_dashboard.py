"""The operations manager's desk (points.desk.operations_desk): what waits, counted,
on the home panel and on /people/operations/."""

import itertools

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from casebase.models import CallSuggestion, CaseReflection
from casebase.tests.factories import seed_case
from points.desk import DeskLine, lines, operations_desk, register_line
from points.models import QCTopic, RationalisationProposal, VolunteerSheet
from points.tests.factories import QCTopicFactory, RationalisationProposalFactory
from review.models import CommitteeApplication

pytestmark = pytest.mark.django_db
QUERIES = 6  # one COUNT per counted line; the link-only lines cost nothing
_serial = itertools.count()


def waiting_rows(n: int = 1) -> None:
    csr = UserFactory(roles=["CSR"])
    case = seed_case(next(_serial))
    for _ in range(n):
        i = next(_serial)
        VolunteerSheet.objects.create(
            file_name=f"v{i}.xlsx",
            fingerprint=f"{i:064d}",
            sha256="0" * 64,
            imported_by=UserFactory(roles=["Operations manager"]),
            status=VolunteerSheet.Status.PENDING,
        )
        RationalisationProposalFactory()
        QCTopicFactory()
        CommitteeApplication.objects.create(
            applicant=UserFactory(roles=["CSR"], level=4), level_snapshot=4
        )
        CallSuggestion.objects.create(call_ref=f"CALL-{i}", reason="典型", suggested_by=csr)
        CaseReflection.objects.create(case=case, employee=UserFactory(roles=["CSR"]), text="学到了")
    # decided ones are not waiting
    VolunteerSheet.objects.create(
        file_name="done.xlsx",
        fingerprint=f"d{next(_serial):063d}",
        sha256="1" * 64,
        imported_by=csr,
        status=VolunteerSheet.Status.PAID,
    )
    RationalisationProposalFactory(status=RationalisationProposal.Status.REJECTED)
    QCTopicFactory(status=QCTopic.Status.CLOSED)
    CallSuggestion.objects.create(
        call_ref="CALL-done", reason="x", suggested_by=csr, status=CallSuggestion.Status.DECLINED
    )
    CaseReflection.objects.create(
        case=case,
        employee=UserFactory(roles=["CSR"]),
        text="x",
        status=CaseReflection.Status.APPROVED,
    )


def counts(items) -> dict:
    return {item.code: item.count for item in items}


def test_operations_desk_counts_what_waits(ops_manager):
    waiting_rows(2)
    desk = counts(operations_desk(ops_manager))
    assert desk == {
        "volunteer": 2,
        "rationalisation": 2,
        "qc": 2,
        "applications": 2,
        "calls": 2,
        "reflections": 2,
        "review_flags": None,
        "catalogue": None,
        "kb": None,
    }
    # in the order of the registered lines (points.desk), whichever app registered them
    assert list(desk) == [
        "volunteer",
        "rationalisation",
        "qc",
        "applications",
        "calls",
        "reflections",
        "review_flags",
        "catalogue",
        "kb",
    ]


def test_a_desk_line_under_a_taken_code_or_order_is_refused():
    register_line(lines()[0])  # the same line again: harmless
    with pytest.raises(ValueError):
        register_line(DeskLine(code="other", order=lines()[0].order, read=lambda user: None))
    with pytest.raises(ValueError):
        register_line(DeskLine(code=lines()[0].code, order=999, read=lambda user: None))
    assert "other" not in {line.code for line in lines()}


def test_operations_desk_lists_only_pages_the_user_may_open(hr, csr):
    waiting_rows()
    assert operations_desk(csr) == []
    assert operations_desk(hr) == []


def test_every_desk_link_opens_for_the_operations_manager(client, ops_manager):
    waiting_rows()
    client.force_login(ops_manager)
    for item in operations_desk(ops_manager):
        assert client.get(item.url).status_code == 200, item.url


def test_operations_desk_queries_are_constant(ops_manager, django_assert_num_queries):
    waiting_rows()
    operations_desk(ops_manager)  # loads the user's permissions
    with django_assert_num_queries(QUERIES):
        operations_desk(ops_manager)
    waiting_rows(5)
    with django_assert_num_queries(QUERIES):
        desk = counts(operations_desk(ops_manager))
    assert desk["reflections"] == 6


def test_home_and_workspace_show_the_desk(client, ops_manager):
    waiting_rows()
    client.force_login(ops_manager)
    for url in (reverse("home"), reverse("accounts:operations_workspace")):
        html = client.get(url).content.decode()
        assert 'id="desk-volunteer"' in html and 'id="desk-reflections"' in html, url
        assert "will appear here" not in html
