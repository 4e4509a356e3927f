"""A typed list of staff IDs is read and checked in one place (accounts.staff_ids): the Q-sort
raters, the members of a QC group and the other participants of a case all split at the same
separators, compare case-insensitively and refuse a repeated or unknown staff ID with a field
error naming it."""

import pytest

from accounts.staff_ids import StaffIdsInvalid, staff_ids_check, staff_ids_parse
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "typed, parsed",
    [
        ("hb1 HB2", ["HB1", "HB2"]),
        (
            "hb1,HB2，hb3;hb4；hb5、hb6\nhb7\t hb8",
            ["HB1", "HB2", "HB3", "HB4", "HB5", "HB6", "HB7", "HB8"],
        ),
        (" , ;", []),
        ("", []),
        (None, []),
        (["hb1 ", " hb2"], ["HB1", "HB2"]),
        (["hb1 hb2"], ["HB1 HB2"]),  # a list item is one staff ID, never split
        ("hb1 hb1", ["HB1", "HB1"]),  # repeats are kept for the check to name
    ],
)
def test_parse_reads_every_separator_and_case(typed, parsed):
    assert staff_ids_parse(typed) == parsed


def test_check_returns_active_employees_in_the_order_named():
    a, b = UserFactory(), UserFactory()
    assert list(staff_ids_check([b.staff_id, a.staff_id], field="x").values()) == [b, a]


def test_check_names_a_repeated_staff_id_on_the_field():
    a = UserFactory()
    with pytest.raises(StaffIdsInvalid) as exc:
        staff_ids_check(staff_ids_parse(f"{a.staff_id} {a.staff_id.lower()}"), field="raters")
    assert exc.value.fields == {"raters": [f"{a.staff_id} is named twice."]}


def test_check_names_every_unknown_or_inactive_staff_id_at_once():
    gone = UserFactory(is_active=False)
    with pytest.raises(StaffIdsInvalid) as exc:
        staff_ids_check(["NOBODY1", gone.staff_id, "NOBODY2"], field="members")
    assert exc.value.fields == {
        "members": [f"Unknown or inactive staff IDs: NOBODY1, {gone.staff_id}, NOBODY2."]
    }


# --- the callers: the same reading, each with its own field ---------------------------------


def test_qsort_raters_refuse_a_repeated_rater(training_manager, csr):
    from competency.forms import QSortRoundCreateForm

    form = QSortRoundCreateForm({"raters": f"{csr.staff_id}、{csr.staff_id.lower()}"})
    form.is_valid()
    assert form.errors["raters"] == [f"{csr.staff_id} is named twice."]
    form = QSortRoundCreateForm({"raters": f"{csr.staff_id}；NOBODY1、NOBODY2"})
    form.is_valid()
    assert form.errors["raters"] == ["Unknown or inactive staff IDs: NOBODY1, NOBODY2."]


def test_a_qc_group_refuses_a_repeated_member_and_reads_every_separator():
    from points import services
    from points.tests.factories import QCTopicFactory

    topic = QCTopicFactory()
    creator, a, b = (UserFactory(roles=["CSR"]) for _ in range(3))
    with pytest.raises(services.PointsError) as exc:
        services.qc_group_claim(
            topic_id=topic.pk,
            creator=creator,
            name="",
            member_staff_ids=f"{a.staff_id}、{b.staff_id}；{a.staff_id.lower()}",
        )
    assert exc.value.fields == {"members": [f"{a.staff_id} is named twice."]}
    # the creator may name themselves: that is not a repeat
    group = services.qc_group_claim(
        topic_id=topic.pk,
        creator=creator,
        name="",
        member_staff_ids=f"{creator.staff_id}、{a.staff_id.lower()}；{b.staff_id}",
    )
    assert group.members.count() == 3


def test_case_participants_name_every_unknown_staff_id(csr):
    from casebase.services.errors import ParticipantsInvalid
    from casebase.services.proposals import participants_resolve

    with pytest.raises(ParticipantsInvalid) as exc:
        participants_resolve(proposer=csr, staff_ids="nobody1、nobody2")
    assert exc.value.fields == {
        "participants": ["No active employee has the staff ID NOBODY1, NOBODY2."]
    }
