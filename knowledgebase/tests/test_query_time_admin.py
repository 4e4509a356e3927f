"""Training managers edit the query-time bands and settings in admin: bad numbers are form
errors."""

from decimal import Decimal

import pytest
from django.urls import reverse

from knowledgebase.models import QueryTimeTest, QueryTimeThreshold

pytestmark = pytest.mark.django_db


def band_url(band: QueryTimeThreshold | None = None) -> str:
    if band is None:
        return reverse("admin:knowledgebase_querytimethreshold_add")
    return reverse("admin:knowledgebase_querytimethreshold_change", args=[band.pk])


def field_errors(response, field: str) -> list[str]:
    return list(response.context["adminform"].form.errors.get(field, []))


@pytest.mark.parametrize(
    "seconds, message",
    [
        ("-1.20", "Enter a time per task above 0 and at most 10.00 s."),
        ("0", "Enter a time per task above 0 and at most 10.00 s."),
        ("10.01", "Enter a time per task above 0 and at most 10.00 s."),
        ("99.99", "Enter a time per task above 0 and at most 10.00 s."),
    ],
)
def test_a_negative_zero_or_absurd_threshold_is_a_form_error(
    client, training_manager, seconds, message
):
    # given
    client.force_login(training_manager)
    band = QueryTimeThreshold.objects.get(allowed_level=5)
    # when
    response = client.post(band_url(band), {"seconds_per_task": seconds, "allowed_level": 5})
    # then
    assert response.status_code == 200
    assert field_errors(response, "seconds_per_task") == [message]
    band.refresh_from_db()
    assert band.seconds_per_task == Decimal("1.20")


@pytest.mark.parametrize(
    "seconds, level, message",
    [
        # faster than the level-4 band (1.30) but allowing only level 2
        (
            "1.25",
            2,
            "A faster band must never allow a lower level: 1.25 s per task allows level 2, "
            "1.30 s per task allows level 4.",
        ),
        # slower than the level-1 band (1.50) but allowing level 3
        (
            "1.60",
            3,
            "A faster band must never allow a lower level: 1.50 s per task allows level 1, "
            "1.60 s per task allows level 3.",
        ),
    ],
)
def test_a_band_breaking_the_level_order_is_a_form_error(
    client, training_manager, seconds, level, message
):
    client.force_login(training_manager)
    response = client.post(band_url(), {"seconds_per_task": seconds, "allowed_level": level})
    assert response.status_code == 200
    assert field_errors(response, "allowed_level") == [message]
    assert QueryTimeThreshold.objects.count() == 4


@pytest.mark.parametrize("level", [0, 6])
def test_a_band_level_outside_1_to_5_is_a_form_error(client, training_manager, level):
    client.force_login(training_manager)
    response = client.post(band_url(), {"seconds_per_task": "1.60", "allowed_level": level})
    assert response.status_code == 200 and field_errors(response, "allowed_level")
    assert QueryTimeThreshold.objects.count() == 4


def test_tightening_a_band_within_the_order_is_saved(client, training_manager):
    client.force_login(training_manager)
    band = QueryTimeThreshold.objects.get(allowed_level=5)
    response = client.post(band_url(band), {"seconds_per_task": "1.15", "allowed_level": 5})
    assert response.status_code == 302
    band.refresh_from_db()
    assert band.seconds_per_task == Decimal("1.15")


def settings_form(**changes) -> dict:
    config = QueryTimeTest.current()
    data = {
        name: getattr(config, name)
        for name in (
            "task_count",
            "wrong_answer_penalty_seconds",
            "time_limit_seconds_per_task",
            "retake_wait_hours",
            "counting_rule",
            "best_window_days",
            "reference_service_months",
            "reference_level1_percent",
            "reference_level5_percent",
        )
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("task_count", 1, "Ensure this value is greater than or equal to 10."),
        ("task_count", 9, "Ensure this value is greater than or equal to 10."),
        ("task_count", 501, "Ensure this value is less than or equal to 500."),
        ("retake_wait_hours", 0, "Ensure this value is greater than or equal to 1."),
        ("retake_wait_hours", 10000, "Ensure this value is less than or equal to 720."),
        ("wrong_answer_penalty_seconds", "-5", "Ensure this value is greater than or equal to 0."),
        (
            "time_limit_seconds_per_task",
            "1.50",
            "The time limit must be slower than every band (the slowest band is 1.50 s per task).",
        ),
        ("best_window_days", 0, "Ensure this value is greater than or equal to 1."),
        (
            "counting_rule",
            "best_ever",
            "Select a valid choice. best_ever is not one of the available choices.",
        ),
        (
            "reference_level5_percent",
            70,
            "The level-5 share must be smaller than the level-1 share.",
        ),
    ],
)
def test_bad_test_settings_are_form_errors(client, training_manager, field, value, message):
    client.force_login(training_manager)
    url = reverse("admin:knowledgebase_querytimetest_change", args=[1])
    response = client.post(url, settings_form(**{field: value}))
    assert response.status_code == 200
    assert field_errors(response, field) == [message]
    assert QueryTimeTest.current().task_count == 100


def test_valid_test_settings_are_saved(client, training_manager):
    client.force_login(training_manager)
    url = reverse("admin:knowledgebase_querytimetest_change", args=[1])
    response = client.post(
        url, settings_form(task_count=10, retake_wait_hours=48, counting_rule="best_recent")
    )
    assert response.status_code == 302
    config = QueryTimeTest.current()
    assert (config.task_count, config.retake_wait_hours, config.counting_rule) == (
        10,
        48,
        "best_recent",
    )


def test_the_database_refuses_a_test_shorter_than_the_minimum():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        QueryTimeTest.objects.filter(pk=1).update(task_count=1)


def test_a_csr_cannot_open_the_bands_in_admin(client, csr):
    csr.is_staff = True
    csr.save(update_fields=["is_staff"])
    client.force_login(csr)
    assert client.get(band_url()).status_code == 403
