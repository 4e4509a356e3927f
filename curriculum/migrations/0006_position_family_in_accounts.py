"""The position family moved to accounts (see accounts.0007): curriculum's foreign keys
follow it in the migration state only; the table and its constraints do not change."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("curriculum", "0005_curriculum_settings_low_survey_score"),
        ("accounts", "0007_position_from_competency"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="abilityelement",
                    name="position_family",
                    field=models.ForeignKey(blank=True, help_text="Required for position-specific elements, empty for general ones.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name="ability_elements", to="accounts.positionfamily", verbose_name="position family"),
                ),
                migrations.AlterField(
                    model_name="learningmap",
                    name="position_family",
                    field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="learning_map", to="accounts.positionfamily", verbose_name="position family"),
                ),
            ],
        ),
    ]
