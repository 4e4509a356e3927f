"""Rationalisation proposals, QC topics and volunteer sheets."""

import io
import threading
from datetime import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import translation
from openpyxl import Workbook

from accounts.tests.factories import UserFactory
from config.errors import AppError
from points import selectors, services
from points.models import (
    AmountInvalid,
    PointsEntry,
    PointsEvent,
    QCGroup,
    RationalisationProposal,
    VolunteerSheet,
    VolunteerSheetRow,
)
from points.tests.factories import QCTopicFactory, RationalisationProposalFactory

pytestmark = pytest.mark.django_db


# --- rationalisation ---------------------------------------------------------------------


def test_submitted_proposal_waits_for_judgement_and_records_an_event(csr):
    proposal = services.rationalisation_submit(
        proposer=csr, title=" 快捷短语 ", description="减少打字时间"
    )
    assert (
        proposal.status == RationalisationProposal.Status.SUBMITTED and proposal.title == "快捷短语"
    )
    assert PointsEvent.objects.filter(kind="proposal_submitted", actor=csr).exists()


@pytest.mark.parametrize(
    ("verdict", "amount", "paid"),
    [
        ("reasonable", 30, 30),
        ("reasonable", 100, 100),
        ("reasonable", None, 50),
        ("feasible", 60, 60),
        ("feasible", 200, 200),
        ("feasible", None, 100),
    ],
)
def test_judging_pays_the_proposer_the_chosen_amount(training_manager, verdict, amount, paid):
    # given
    proposal = RationalisationProposalFactory()
    # when
    services.rationalisation_judge(
        proposal_id=proposal.pk, judge=training_manager, verdict=verdict, amount=amount
    )
    # then
    proposal.refresh_from_db()
    assert (proposal.status, proposal.amount, proposal.judged_by) == (
        verdict,
        paid,
        training_manager,
    )
    entry = PointsEntry.objects.get(source=f"rationalisation:{proposal.pk}")
    assert (
        entry.employee == proposal.proposer
        and entry.amount == paid
        and entry.granted_by == training_manager
    )


@pytest.mark.parametrize(
    ("verdict", "amount", "message"),
    [
        (
            "reasonable",
            29,
            "The amount for “合理化建议（合理）” must be within 30–100; 29 is outside.",
        ),
        (
            "reasonable",
            101,
            "The amount for “合理化建议（合理）” must be within 30–100; 101 is outside.",
        ),
        (
            "feasible",
            59,
            "The amount for “合理化建议（可行）” must be within 60–200; 59 is outside.",
        ),
        (
            "feasible",
            201,
            "The amount for “合理化建议（可行）” must be within 60–200; 201 is outside.",
        ),
    ],
)
def test_amount_outside_the_verdicts_range_is_refused(ops_manager, verdict, amount, message):
    proposal = RationalisationProposalFactory()
    with pytest.raises(AmountInvalid) as exc:
        services.rationalisation_judge(
            proposal_id=proposal.pk, judge=ops_manager, verdict=verdict, amount=amount
        )
    assert exc.value.messages == [message]
    proposal.refresh_from_db()
    assert proposal.status == "submitted" and not PointsEntry.objects.exists()


def test_rejection_pays_nothing_needs_a_reason_and_a_proposal_is_judged_once(training_manager):
    proposal = RationalisationProposalFactory()
    with pytest.raises(services.PointsError):
        services.rationalisation_judge(
            proposal_id=proposal.pk, judge=training_manager, verdict="rejected"
        )
    services.rationalisation_judge(
        proposal_id=proposal.pk, judge=training_manager, verdict="rejected", comment="已有类似措施"
    )
    with pytest.raises(services.PointsConflict) as exc:
        services.rationalisation_judge(
            proposal_id=proposal.pk, judge=training_manager, verdict="feasible"
        )
    assert exc.value.messages == ["This proposal has already been judged."]
    assert not PointsEntry.objects.exists()


def test_only_judges_may_judge_and_never_their_own_proposal(csr, training_manager):
    proposal = RationalisationProposalFactory()
    with pytest.raises(PermissionDenied):
        services.rationalisation_judge(proposal_id=proposal.pk, judge=csr, verdict="feasible")
    own = RationalisationProposalFactory(proposer=training_manager)
    with pytest.raises(PermissionDenied):
        services.rationalisation_judge(
            proposal_id=own.pk, judge=training_manager, verdict="feasible"
        )


# --- QC topics ----------------------------------------------------------------------------


def members(n):
    return [UserFactory(roles=["CSR"]) for _ in range(n)]


def claim(topic, creator, others, name="质量改进组"):
    return services.qc_group_claim(
        topic_id=topic.pk, creator=creator, name=name, member_staff_ids=[u.staff_id for u in others]
    )


def test_manager_publishes_a_topic_with_the_default_limits(training_manager, csr):
    topic = services.qc_topic_publish(
        by=training_manager, title="降低重复来电", points_per_member=50
    )
    assert (topic.max_groups, topic.min_group_size, topic.max_group_size) == (3, 3, 5)
    with pytest.raises(PermissionDenied):
        services.qc_topic_publish(by=csr, title="x", points_per_member=5)


@pytest.mark.parametrize(("size", "ok"), [(2, False), (3, True), (5, True), (6, False)])
def test_a_group_has_three_to_five_members_including_its_creator(size, ok):
    # given
    topic = QCTopicFactory()
    creator, *others = members(size)
    # when / then
    if ok:
        group = claim(topic, creator, others)
        assert group.members.count() == size
    else:
        with pytest.raises(services.PointsError) as exc:
            claim(topic, creator, others)
        assert exc.value.messages == [f"A group needs 3 to 5 members; you named {size}."]


def test_the_fourth_group_is_refused():
    # given
    topic = QCTopicFactory()
    for _ in range(3):
        creator, *others = members(3)
        claim(topic, creator, others)
    creator, *others = members(3)
    # when / then
    with pytest.raises(services.PointsConflict) as exc:
        claim(topic, creator, others)
    assert exc.value.messages == ["This topic already has the maximum of 3 groups."]
    assert QCGroup.objects.filter(topic=topic).count() == 3


def test_unknown_staff_ids_and_members_of_another_group_are_refused():
    topic = QCTopicFactory()
    creator, *others = members(3)
    claim(topic, creator, others)
    second_creator, newcomer = members(2)
    with pytest.raises(services.PointsError) as exc:
        services.qc_group_claim(
            topic_id=topic.pk,
            creator=second_creator,
            name="",
            member_staff_ids=f"{newcomer.staff_id}, NOBODY",
        )
    assert exc.value.messages == ["Unknown staff ID: NOBODY."]
    with pytest.raises(services.PointsError, match="Already in a group for this topic"):
        claim(topic, second_creator, [newcomer, others[0]])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_simultaneous_last_claims_get_one_place():
    # given: two groups already, one place left
    topic = QCTopicFactory()
    for _ in range(2):
        creator, *others = members(3)
        claim(topic, creator, others)
    teams = [members(3), members(3)]
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt(team):
        try:
            with translation.override("en"):
                barrier.wait()
                claim(topic, team[0], team[1:])
                outcomes.append("ok")
        except AppError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=attempt, args=(team,)) for team in teams]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then
    assert sorted(outcomes) == ["This topic already has the maximum of 3 groups.", "ok"]
    assert QCGroup.objects.filter(topic=topic).count() == 3


def test_completion_pays_each_member_the_topics_points_once(training_manager):
    # given
    topic = QCTopicFactory(points_per_member=40)
    creator, *others = members(4)
    group = claim(topic, creator, others)
    # when
    entries = services.qc_group_complete(group_id=group.pk, by=training_manager)
    # then
    assert len(entries) == 4
    for user in [creator, *others]:
        assert PointsEntry.objects.get(source=f"qc:{group.pk}:{user.pk}").amount == 40
        assert selectors.points_balance(user) == 40
    with pytest.raises(services.PointsConflict, match="already completed"):
        services.qc_group_complete(group_id=group.pk, by=training_manager)
    assert PointsEntry.objects.count() == 4


def test_only_topic_managers_complete(csr):
    topic = QCTopicFactory()
    creator, *others = members(3)
    group = claim(topic, creator, others)
    with pytest.raises(PermissionDenied):
        services.qc_group_complete(group_id=group.pk, by=creator)


# --- volunteer sheets --------------------------------------------------------------------


def csv_bytes(rows, header="staff_id,hours,points,date,note"):
    return ("\n".join([header, *rows]) + "\n").encode()


def xlsx_bytes(rows):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_good_csv_sheet_pays_each_row(training_manager):
    # given
    a, b = members(2)
    content = csv_bytes(
        [f"{a.staff_id},2.5,10,2026-03-02,食堂帮厨", f"{b.staff_id.lower()},4,20,2026-03-03,"]
    )
    # when
    sheet = services.volunteer_sheet_import(
        file_name="week10.csv", content=content, imported_by=training_manager
    )
    # then
    assert (sheet.row_count, sheet.total_points) == (2, 30)
    assert selectors.points_balance(a) == 10 and selectors.points_balance(b) == 20
    assert PointsEntry.objects.get(employee=a).source == f"volunteer:{a.pk}:2026-03-02"
    assert PointsEntry.objects.get(employee=b).source == f"volunteer:{b.pk}:2026-03-03"
    assert VolunteerSheetRow.objects.get(employee=a).note == "食堂帮厨"


def test_an_xlsx_sheet_with_chinese_headers_is_imported(ops_manager):
    a = UserFactory()
    content = xlsx_bytes(
        [
            ["工号", "日期", "时长", "积分", "备注"],
            [a.staff_id, datetime(2026, 3, 2), 3, 15, "洗碗"],
        ]
    )
    sheet = services.volunteer_sheet_import(
        file_name="第10周.xlsx", content=content, imported_by=ops_manager
    )
    assert sheet.total_points == 15 and selectors.points_balance(a) == 15


def test_bad_rows_are_reported_with_line_numbers_and_nothing_is_imported(training_manager):
    # given
    a, b = members(2)
    content = csv_bytes(
        [
            f"{a.staff_id},2,10,2026-03-02,",  # line 2: fine
            "NOBODY,2,10,2026-03-02,",  # line 3: unknown staff ID
            f"{b.staff_id},two,10,2026-03-02,",  # line 4: hours not a number
            f"{b.staff_id},2,-5,2026-03-03,",  # line 5: negative points
            f"{a.staff_id},1,5,2026-03-02,",  # line 6: duplicate of line 2
            f"{b.staff_id},-1,x,2026-03-04,",  # line 7: two problems
        ]
    )
    # when
    with pytest.raises(services.VolunteerSheetRejected) as exc:
        services.volunteer_sheet_import(
            file_name="w.csv", content=content, imported_by=training_manager
        )
    # then
    assert exc.value.line_errors == [
        (3, "Unknown staff ID NOBODY."),
        (4, "Hours “two” is not a number."),
        (5, "Points must not be negative."),
        (6, "Duplicate of line 2."),
        (7, "Hours must not be negative."),
        (7, "Points “x” is not a whole number."),
    ]
    assert not PointsEntry.objects.exists() and not VolunteerSheet.objects.exists()


def test_a_missing_column_is_reported_on_line_one(training_manager):
    content = csv_bytes(["A,2026-03-02,1"], header="staff_id,date,hours")
    with pytest.raises(services.VolunteerSheetRejected) as exc:
        services.volunteer_sheet_import(
            file_name="w.csv", content=content, imported_by=training_manager
        )
    assert exc.value.line_errors == [(1, "Missing column: points.")]


def test_the_same_file_imported_twice_pays_nothing_twice(training_manager):
    a = UserFactory()
    content = csv_bytes([f"{a.staff_id},2,10,2026-03-02,"])
    services.volunteer_sheet_import(
        file_name="w.csv", content=content, imported_by=training_manager
    )
    with pytest.raises(services.PointsConflict, match="already imported"):
        services.volunteer_sheet_import(
            file_name="copy.csv", content=content, imported_by=training_manager
        )
    assert selectors.points_balance(a) == 10 and VolunteerSheet.objects.count() == 1


def test_a_failure_while_paying_leaves_nothing_half_imported(training_manager, monkeypatch):
    # given: the second row's award blows up after the first row was written
    a, b = members(2)
    real_award = services.points_award
    calls = []

    def flaky_award(**kwargs):
        calls.append(kwargs["source"])
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real_award(**kwargs)

    monkeypatch.setattr(services, "points_award", flaky_award)
    # when
    with pytest.raises(RuntimeError):
        services.volunteer_sheet_import(
            file_name="w.csv",
            content=csv_bytes([f"{a.staff_id},1,5,2026-03-02,", f"{b.staff_id},1,5,2026-03-02,"]),
            imported_by=training_manager,
        )
    # then
    assert not PointsEntry.objects.exists() and not VolunteerSheet.objects.exists()


def test_only_importers_may_import(csr):
    with pytest.raises(PermissionDenied):
        services.volunteer_sheet_import(file_name="w.csv", content=b"x", imported_by=csr)


def test_the_manager_who_published_a_topic_does_not_complete_its_groups(training_manager):
    """Publishing a topic (its points) and confirming a group earned them are two managers'
    decisions: otherwise one manager pays friends up to 200 points a topic, topic after topic."""
    # given a topic published by this manager and a group that claimed it
    topic = QCTopicFactory(points_per_member=40, published_by=training_manager)
    creator, *others = members(3)
    group = claim(topic, creator, others)
    # when the publisher completes it: refused, nothing paid
    with pytest.raises(services.PointsPermissionDenied, match="You published this topic"):
        services.qc_group_complete(group_id=group.pk, by=training_manager)
    assert PointsEntry.objects.count() == 0
    # then another manager may
    from accounts.tests.factories import UserFactory

    assert (
        len(
            services.qc_group_complete(
                group_id=group.pk, by=UserFactory(roles=["Training manager"])
            )
        )
        == 3
    )
