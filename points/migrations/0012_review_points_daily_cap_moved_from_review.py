"""The daily cap of a committee member's review points is a points rule: it moves from the
review settings to the points settings, with the value an admin set (review 0006 then drops
the review column). Backwards: the value goes back to the review settings."""

import django.core.validators
from django.db import migrations, models


def copy_from_review(apps, schema_editor):
    ReviewSettings = apps.get_model("review", "ReviewSettings")
    PointsSettings = apps.get_model("points", "PointsSettings")
    cap = ReviewSettings.objects.filter(pk=1).values_list("review_points_daily_cap", flat=True).first()
    if cap is not None:
        PointsSettings.objects.update_or_create(pk=1, defaults={"review_points_daily_cap": cap})


def copy_back_to_review(apps, schema_editor):
    ReviewSettings = apps.get_model("review", "ReviewSettings")
    PointsSettings = apps.get_model("points", "PointsSettings")
    cap = PointsSettings.objects.filter(pk=1).values_list("review_points_daily_cap", flat=True).first()
    if cap is not None:
        ReviewSettings.objects.filter(pk=1).update(review_points_daily_cap=cap)


class Migration(migrations.Migration):

    dependencies = [
        ("points", "0011_entry_note_code"),
        ("review", "0005_review_experts_and_proposal_category"),
    ]

    operations = [
        migrations.AddField(
            model_name="pointssettings",
            name="review_points_daily_cap",
            field=models.PositiveIntegerField(default=50, help_text="Default 50, at most 1,000: a committee member's review points (KB review 5, case review 20, paid only when the proposal was decided the way the member voted) stop for the day (Asia/Shanghai) once a vote would take them above this; 0 pays no review points.", validators=[django.core.validators.MaxValueValidator(1000)], verbose_name="review points per member per day"),
        ),
        migrations.RunPython(copy_from_review, copy_back_to_review),
    ]
