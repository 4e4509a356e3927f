"""Positions and position families move from competency to accounts (issue 15).

A position is organisation structure, like a centre or a team: HR imports it with the
employees, and ``User.position`` points at it. Moving it here ends the accounts ⇄ competency
cycle. Nothing changes in the database: the tables keep their names
(``competency_position``, ``competency_positionfamily``, see the models' ``db_table``) and
every operation below is state-only (``SeparateDatabaseAndState`` with no database
operations), so no table is rebuilt and no row is copied.

The recipe, across three migrations that run in this order:
1. here: accounts' state gains the two models on the old tables; ``User.position`` points
   at ``accounts.Position``;
2. ``curriculum.0006``: its foreign keys to the family point at ``accounts.PositionFamily``;
3. ``competency.0006``: its foreign keys point at ``accounts.Position`` and the two models
   leave competency's state.

Permissions follow the models: the content types ``competency.position`` and
``competency.positionfamily`` are renamed to ``accounts.*``, so their permissions (same ids,
same codenames: ``add_position`` …) stay with every group and user that had them, only
their label changes (``accounts.change_position``). Admin log entries keep pointing at them.
"""

import django.db.models.deletion
from django.db import migrations, models

MODELS = ("positionfamily", "position")


def _move_content_types(apps, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    User = apps.get_model("accounts", "User")
    for model in MODELS:
        old = ContentType.objects.filter(app_label=source, model=model).first()
        if old is None:
            continue  # a fresh database: post_migrate creates the content type at the end
        new = ContentType.objects.filter(app_label=target, model=model).first()
        if new is None:
            old.app_label = target
            old.save(update_fields=["app_label"])
            continue
        # Both exist (permissions were created for the target in between): whoever held a
        # permission of the old content type gets the same codename on the new one.
        for perm in Permission.objects.filter(content_type=old):
            twin, _ = Permission.objects.get_or_create(
                content_type=new, codename=perm.codename, defaults={"name": perm.name}
            )
            for group in Group.objects.filter(permissions=perm):
                group.permissions.add(twin)
            for user in User.objects.filter(user_permissions=perm):
                user.user_permissions.add(twin)
        try:
            LogEntry = apps.get_model("admin", "LogEntry")
        except LookupError:
            pass
        else:
            LogEntry.objects.filter(content_type=old).update(content_type=new)
        old.delete()


def forwards(apps, schema_editor):
    _move_content_types(apps, "competency", "accounts")


def backwards(apps, schema_editor):
    _move_content_types(apps, "accounts", "competency")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_employee_import_permission"),
        ("competency", "0005_seed_dictionary_and_grants"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="PositionFamily",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("code", models.SlugField(max_length=40, unique=True, verbose_name="code")),
                        ("name", models.CharField(max_length=100, verbose_name="name")),
                        ("name_en", models.CharField(blank=True, max_length=100, verbose_name="English name")),
                        ("description", models.TextField(blank=True, verbose_name="description")),
                    ],
                    options={
                        "verbose_name": "position family",
                        "verbose_name_plural": "position families",
                        "db_table": "competency_positionfamily",
                        "ordering": ["code"],
                    },
                ),
                migrations.CreateModel(
                    name="Position",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("code", models.SlugField(max_length=40, unique=True, verbose_name="code")),
                        ("name", models.CharField(max_length=100, verbose_name="name")),
                        ("name_en", models.CharField(blank=True, max_length=100, verbose_name="English name")),
                        ("description", models.TextField(blank=True, verbose_name="description")),
                        ("family", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="positions", to="accounts.positionfamily", verbose_name="family")),
                    ],
                    options={
                        "verbose_name": "position",
                        "verbose_name_plural": "positions",
                        "db_table": "competency_position",
                        "ordering": ["family__code", "code"],
                    },
                ),
                migrations.AlterField(
                    model_name="user",
                    name="position",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="employees", to="accounts.position", verbose_name="position"),
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
