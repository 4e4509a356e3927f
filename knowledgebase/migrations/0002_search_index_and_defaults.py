"""PostgreSQL GIN index on Entry.search_vector, query-time test defaults (DOMAIN.md §4),
and the training managers' admin permissions on the knowledge base."""

from decimal import Decimal

from django.db import migrations

from accounts.migration_helpers import grant_permissions, revoke_permissions

# DOMAIN.md §4 defaults: < 120 s → 5; 120–130 → levels 3–4 (max 4); 130–140 → 2; 140–150 → 1; slower → 0.
THRESHOLDS = [(Decimal("120"), 5), (Decimal("130"), 4), (Decimal("140"), 2), (Decimal("150"), 1), (None, 0)]
GRANTS = {"Training manager": ["knowledgebase.*"]}


def create_gin_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS kb_entry_search_vector_gin ON knowledgebase_entry USING gin (search_vector)"
        )


def drop_gin_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS kb_entry_search_vector_gin")


def seed(apps, schema_editor):
    apps.get_model("knowledgebase", "QueryTimeTest").objects.get_or_create(
        pk=1, defaults={"task_count": 100, "wrong_answer_penalty_seconds": Decimal("10.0")}
    )
    Threshold = apps.get_model("knowledgebase", "QueryTimeThreshold")
    if not Threshold.objects.exists():
        for below, level in THRESHOLDS:
            Threshold.objects.create(below_seconds=below, allowed_level=level)
    grant_permissions(apps, GRANTS)


def unseed(apps, schema_editor):
    revoke_permissions(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("knowledgebase", "0001_initial"), ("accounts", "0003_team_leader_role")]

    operations = [
        migrations.RunPython(create_gin_index, drop_gin_index),
        migrations.RunPython(seed, unseed),
    ]
