"""Every rule has a maximum; every number a user types or uploads is refused with a message
(400 / form error / line error), never a 500, and never reaches an INSERT out of range."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.tests.factories import UserFactory
from points import services
from points.models import (
    AMOUNT_LIMIT,
    AmountInvalid,
    PointRule,
    PointsEntry,
    QCTopic,
    RationalisationProposal,
)
from points.tests.factories import RationalisationProposalFactory, rule

pytestmark = pytest.mark.django_db

BEYOND_FIELD = f"Ensure this value is less than or equal to {AMOUNT_LIMIT}."
MANUAL_OUTSIDE = "The amount for “人工更正” must be within -200–200; {amount} is outside."


def corrector():
    user = UserFactory(roles=["Operations manager"])
    assert user.has_perm("points.correct_entries")
    return user


# --- the rules -----------------------------------------------------------------------------


def test_every_rule_has_a_maximum_within_the_hard_limit():
    # given / when
    rules = {r.code: (r.min_amount, r.max_amount) for r in PointRule.objects.all()}
    # then
    assert all(hi is not None and -AMOUNT_LIMIT <= hi <= AMOUNT_LIMIT for _, hi in rules.values())
    assert rules["qc_topic_completed"] == (1, 200)
    assert rules["volunteer_sheet"] == (1, 50)
    assert rules["manual_correction"] == (-200, 200)
    assert AMOUNT_LIMIT < 2_147_483_647


@pytest.mark.parametrize(
    "changes",
    [
        {"max_amount": None},
        {"max_amount": AMOUNT_LIMIT + 1},
        {"min_amount": -AMOUNT_LIMIT - 1},
        {"min_amount": 60, "max_amount": 50},
        {"default_amount": 51},
        {"default_amount": 10, "min_amount": 20},
    ],
)
def test_the_database_refuses_a_rule_without_a_sane_maximum(changes):
    # when / then: even an UPDATE that skips the model's validation
    with pytest.raises(IntegrityError), transaction.atomic():
        PointRule.objects.filter(code="case_created").update(**changes)
    assert rule("case_created").max_amount == 50


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "This field is required."),
        ("3000000000", BEYOND_FIELD),
        ("100001", BEYOND_FIELD),
        ("12.5", "Enter a whole number."),
    ],
)
def test_the_rule_admin_refuses_a_missing_or_huge_maximum(client, value, message):
    # given
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    volunteer = rule("volunteer_sheet")
    # when
    response = client.post(
        reverse("admin:points_pointrule_change", args=[volunteer.pk]),
        {
            "name": volunteer.name,
            "name_en": volunteer.name_en,
            "min_amount": "1",
            "max_amount": value,
            "default_amount": "",
            "active": "on",
        },
    )
    # then
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["max_amount"] == [message]
    assert rule("volunteer_sheet").max_amount == 50


@pytest.mark.parametrize(
    "amount", [3_000_000_000, AMOUNT_LIMIT + 1, -3_000_000_000, 2.5, "10", True]
)
def test_a_ledger_row_beyond_the_limit_never_reaches_an_insert(
    csr, amount, django_assert_num_queries
):
    # given
    entry = PointsEntry(employee=csr, amount=amount, rule=rule("manual_correction"), source="x")
    # when / then
    with django_assert_num_queries(0), pytest.raises(AmountInvalid) as exc:
        entry.save()
    assert exc.value.messages == [
        f"The amount must lie between -{AMOUNT_LIMIT} and {AMOUNT_LIMIT}."
    ]


# --- manual corrections ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (3_000_000_000, MANUAL_OUTSIDE.format(amount=3000000000)),
        (999_999, MANUAL_OUTSIDE.format(amount=999999)),
        (201, MANUAL_OUTSIDE.format(amount=201)),
        (-201, MANUAL_OUTSIDE.format(amount=-201)),
        (-3_000_000_000, MANUAL_OUTSIDE.format(amount=-3000000000)),
        (2.5, "The amount must be a whole number."),
        ("10", "The amount must be a whole number."),
        (0, "The amount must not be zero."),
    ],
)
def test_a_manual_correction_outside_the_rules_range_is_refused(csr, amount, message):
    with pytest.raises(AmountInvalid) as exc:
        services.points_correct(employee=csr, amount=amount, by=corrector(), reason="更正")
    assert exc.value.messages == [message]
    assert not PointsEntry.objects.exists()


@pytest.mark.parametrize("amount", [200, -200, -15, 1])
def test_a_manual_correction_within_the_range_is_written(csr, amount):
    entry = services.points_correct(employee=csr, amount=amount, by=corrector(), reason="更正")
    assert entry.amount == amount and entry.rule.code == "manual_correction"


def test_a_form_token_longer_than_the_source_allows_is_refused(csr):
    with pytest.raises(services.PointsError) as exc:
        services.points_correct(
            employee=csr, amount=5, by=corrector(), reason="更正", token="x" * 200
        )
    assert exc.value.messages == ["The form token is too long."]
    assert not PointsEntry.objects.exists()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"amount": 3_000_000_000}, {"amount": [BEYOND_FIELD]}),
        ({"amount": 999_999}, {"amount": [BEYOND_FIELD]}),
        (
            {"amount": -3_000_000_000},
            {"amount": [f"Ensure this value is greater than or equal to -{AMOUNT_LIMIT}."]},
        ),
        ({"amount": 2.5}, {"amount": ["A valid integer is required."]}),
        ({"amount": "abc"}, {"amount": ["A valid integer is required."]}),
        ({"amount": "9" * 5000}, {"amount": ["String value too large."]}),
        (
            {"amount": 201},
            {
                "detail": MANUAL_OUTSIDE.format(amount=201),
                "amount": [MANUAL_OUTSIDE.format(amount=201)],
            },
        ),
        (
            {"amount": 0},
            {"detail": "The amount must not be zero.", "amount": ["The amount must not be zero."]},
        ),
        ({"staff_id": "NOBODY"}, {"staff_id": ["Unknown staff ID."]}),
        ({"token": "x" * 65}, {"token": ["Ensure this field has no more than 64 characters."]}),
    ],
)
def test_the_correction_api_answers_bad_numbers_with_400_field_messages(api, csr, body, errors):
    # given
    api.force_authenticate(corrector())
    # when
    response = api.post(
        reverse("api-points-corrections"),
        {"staff_id": csr.staff_id, "amount": 5, "reason": "更正", **body},
        format="json",
    )
    # then: the field messages, and the service's own message as the detail
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["fields"] == {
        k: v for k, v in errors.items() if k != "detail"
    }
    if "detail" in errors:
        assert body["detail"] == errors["detail"]
    assert not PointsEntry.objects.exists()


def test_the_correction_api_pays_once_per_token_and_only_for_correctors(api, csr):
    # given
    url = reverse("api-points-corrections")
    body = {"staff_id": csr.staff_id.lower(), "amount": -15, "reason": "扣分", "token": "t-1"}
    # then: a CSR may not, a list body is a 400, GET is 405
    api.force_authenticate(csr)
    assert api.post(url, body, format="json").status_code == 403
    api.force_authenticate(corrector())
    assert api.post(url, [body], format="json").status_code == 400
    assert api.get(url).status_code == 405
    # when: the same request twice
    first = api.post(url, body, format="json")
    second = api.post(url, body, format="json")
    # then
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"] and first.json()["amount"] == -15
    assert PointsEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("3000000000", BEYOND_FIELD),
        ("999999", BEYOND_FIELD),
        ("2.5", "Enter a whole number."),
        ("abc", "Enter a whole number."),
        ("201", MANUAL_OUTSIDE.format(amount=201)),
        ("-201", MANUAL_OUTSIDE.format(amount=-201)),
    ],
)
def test_the_admin_correction_form_shows_bad_amounts_on_the_field(client, csr, amount, message):
    # given
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    # when
    response = client.post(
        reverse("admin:points_pointsentry_correction"),
        {"employee": csr.staff_id, "amount": amount, "reason": "更正", "token": "t1"},
    )
    # then
    assert response.status_code == 200
    assert response.context["form"].errors["amount"] == [message]
    assert not PointsEntry.objects.exists()


# --- rationalisation judging -----------------------------------------------------------------

REASONABLE_OUTSIDE = (
    "The amount for “合理化建议（合理）” must be within 30–100; {amount} is outside."
)


@pytest.mark.parametrize(
    ("amount", "errors"),
    [
        (3_000_000_000, {"amount": [BEYOND_FIELD]}),
        ("abc", {"amount": ["A valid integer is required."]}),
        (2.5, {"amount": ["A valid integer is required."]}),
        (999_999, {"amount": [BEYOND_FIELD]}),
        (
            -5,
            {
                "detail": REASONABLE_OUTSIDE.format(amount=-5),
                "amount": [REASONABLE_OUTSIDE.format(amount=-5)],
            },
        ),
        (
            101,
            {
                "detail": REASONABLE_OUTSIDE.format(amount=101),
                "amount": [REASONABLE_OUTSIDE.format(amount=101)],
            },
        ),
    ],
)
def test_judging_with_a_bad_amount_is_a_400_through_the_api(api, training_manager, amount, errors):
    # given
    proposal = RationalisationProposalFactory()
    api.force_authenticate(training_manager)
    # when
    response = api.post(
        reverse("api-points-rationalisation-judge", args=[proposal.pk]),
        {"verdict": "reasonable", "amount": amount},
        format="json",
    )
    # then: the field messages, and the service's own message as the detail
    body = response.json()
    assert response.status_code == 400 and body["fields"] == {
        k: v for k, v in errors.items() if k != "detail"
    }
    if "detail" in errors:
        assert body["detail"] == errors["detail"]
    proposal.refresh_from_db()
    assert proposal.status == "submitted" and not PointsEntry.objects.exists()


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("3000000000", f"Points: {BEYOND_FIELD}"),
        ("abc", "Points: Enter a whole number."),
        ("-5", REASONABLE_OUTSIDE.format(amount=-5)),
    ],
)
def test_judging_with_a_bad_amount_on_the_page_shows_a_message(
    client, training_manager, amount, message
):
    # given
    proposal = RationalisationProposalFactory()
    client.force_login(training_manager)
    # when
    response = client.post(
        reverse("points:proposal_judge", args=[proposal.pk]),
        {"verdict": "reasonable", "amount": amount},
        follow=True,
    )
    # then
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [message]
    assert RationalisationProposal.objects.get().status == "submitted"


# --- QC topics ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("points", "ok"), [(1, True), (200, True), (201, False), (999_999, False)])
def test_a_topic_pays_at_most_the_qc_rules_maximum_per_member(training_manager, points, ok):
    if ok:
        assert services.qc_topic_publish(
            by=training_manager, title="课题", points_per_member=points
        ).pk
        return
    with pytest.raises(services.PointsError) as exc:
        services.qc_topic_publish(by=training_manager, title="课题", points_per_member=points)
    assert exc.value.fields == {
        "points_per_member": [
            f"The amount for “QC课题完成” must be within 1–200; {points} is outside."
        ]
    }
    assert not QCTopic.objects.exists()


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ("3000000000", BEYOND_FIELD),
        ("999999", BEYOND_FIELD),
        ("250", "The amount for “QC课题完成” must be within 1–200; 250 is outside."),
        ("-5", "Ensure this value is greater than or equal to 0."),
        ("2.5", "Enter a whole number."),
    ],
)
def test_the_topic_page_shows_bad_points_on_the_field(client, training_manager, points, message):
    # given
    client.force_login(training_manager)
    # when
    response = client.post(
        reverse("points:topic_new"),
        {
            "title": "缩短话后处理",
            "description": "",
            "points_per_member": points,
            "max_groups": 3,
            "min_group_size": 3,
            "max_group_size": 5,
        },
    )
    # then
    assert response.status_code == 200
    assert message in response.context["form"].errors["points_per_member"]
    assert not QCTopic.objects.exists()
