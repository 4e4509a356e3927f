"""Ratings are final: rated_at is set once when the employee rates (no longer auto_now)."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('casebase', '0002_defaults_permissions_schedule'),
    ]

    operations = [
        migrations.AlterField(
            model_name='caserating',
            name='rated_at',
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='rated at'),
        ),
    ]
