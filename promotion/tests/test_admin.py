import pytest
from django.urls import reverse

from promotion.models import Level, LevelRequirement, PromotionEvent
from promotion.services.levels import promotion_history_backfill
from promotion.tests.factories import make_test_cases, pass_exam

pytestmark = pytest.mark.django_db

MODELS = [
    "level",
    "levelrequirement",
    "promotionevent",
    "retentionperiod",
    "examattempt",
    "mentorship",
    "medal",
    "medalaward",
    "notification",
]


@pytest.mark.parametrize("model", MODELS)
def test_training_managers_can_open_every_promotion_admin_list(
    client, training_manager, csr, model
):
    make_test_cases(1, 10)
    pass_exam(csr, 1)
    promotion_history_backfill(
        employee=csr,
        kind="promoted",
        from_level=0,
        to_level=1,
        at=csr.date_joined,
        with_retention=True,
    )
    client.force_login(training_manager)
    assert client.get(reverse(f"admin:promotion_{model}_changelist")).status_code == 200


def test_requirements_are_editable_but_events_are_read_only(client, training_manager, csr):
    client.force_login(training_manager)
    requirement = LevelRequirement.objects.get(level__number=2)
    assert (
        client.get(
            reverse("admin:promotion_levelrequirement_change", args=[requirement.pk])
        ).status_code
        == 200
    )
    assert (
        client.get(
            reverse("admin:promotion_level_change", args=[Level.objects.get(number=1).pk])
        ).status_code
        == 200
    )
    assert client.get(reverse("admin:promotion_promotionevent_add")).status_code == 403
    event = promotion_history_backfill(
        employee=csr, kind="promoted", from_level=0, to_level=1, at=csr.date_joined
    )
    assert (
        client.post(
            reverse("admin:promotion_promotionevent_delete", args=[event.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert PromotionEvent.objects.filter(pk=event.pk).exists()


def test_a_retention_apprentice_task_needs_the_level_apprentices_come_from():
    from django.core.exceptions import ValidationError

    requirement = LevelRequirement.objects.get(level__number=2)
    requirement.retention_apprentices = 1
    with pytest.raises(ValidationError) as raised:
        requirement.full_clean()
    assert raised.value.message_dict["apprentice_from_level"] == [
        "Say from which level apprentices must be promoted."
    ]
    requirement.retention_apprentices = 11
    requirement.apprentice_from_level = 0
    with pytest.raises(ValidationError) as raised:
        requirement.full_clean()
    assert "retention_apprentices" in raised.value.message_dict


@pytest.mark.parametrize(
    "field, value",
    [
        ("retest_attempts", 4),
        ("retention_days", 3650),
        ("exam_time_limit_minutes", 600),
        ("points_threshold", 100_001),
        ("apprentices_required", 11),
    ],
)
def test_requirement_numbers_that_would_defang_the_ladder_are_refused(field, value):
    from django.core.exceptions import ValidationError

    requirement = LevelRequirement.objects.get(level__number=3)
    setattr(requirement, field, value)
    with pytest.raises(ValidationError) as raised:
        requirement.full_clean()
    assert field in raised.value.message_dict
