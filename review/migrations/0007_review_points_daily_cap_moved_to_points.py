"""The review-points daily cap now lives in the points settings (points 0012 copied it)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("review", "0006_calibration_and_integrity_settings"),
        ("points", "0012_review_points_daily_cap_moved_from_review"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="reviewsettings",
            name="review_points_daily_cap",
        ),
    ]
