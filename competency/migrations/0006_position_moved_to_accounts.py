"""Positions and position families now live in accounts (see accounts.0007).

State-only: competency's foreign keys point at ``accounts.Position`` and the two models leave
competency's state. The database keeps the tables ``competency_position`` and
``competency_positionfamily`` (now owned by accounts) and every constraint on them; nothing is
dropped. Runs after curriculum.0006, whose foreign keys must leave the family first.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("competency", "0005_seed_dictionary_and_grants"),
        ("accounts", "0007_position_from_competency"),
        ("curriculum", "0006_position_family_in_accounts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="positioncompetency",
                    name="position",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="competencies", to="accounts.position", verbose_name="position"),
                ),
                migrations.AlterField(
                    model_name="qsortround",
                    name="position",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="qsort_rounds", to="accounts.position", verbose_name="position"),
                ),
                migrations.DeleteModel(name="Position"),
                migrations.DeleteModel(name="PositionFamily"),
            ],
        ),
    ]
