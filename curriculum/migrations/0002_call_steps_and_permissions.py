from django.db import migrations

from accounts.migration_helpers import grant_permissions, revoke_permissions

# The six service steps of a call (DOMAIN.md §2), a sensible default that sites may edit.
CALL_STEPS = [
    ("greeting", "问候", "Greeting", 1),
    ("listening", "倾听/识别需求", "Listening / identifying the need", 2),
    ("confirming", "确认", "Confirming", 3),
    ("solving", "解决", "Solving", 4),
    ("recommending", "推荐", "Recommending", 5),
    ("closing", "结束", "Closing", 6),
]

GRANTS = {"Training manager": ["curriculum.*"]}


def forwards(apps, schema_editor):
    CallStep = apps.get_model("curriculum", "CallStep")
    for code, name, name_en, order in CALL_STEPS:
        CallStep.objects.update_or_create(code=code, defaults={"name": name, "name_en": name_en, "order": order})
    grant_permissions(apps, GRANTS)


def backwards(apps, schema_editor):
    revoke_permissions(apps, GRANTS)
    apps.get_model("curriculum", "CallStep").objects.filter(code__in=[c[0] for c in CALL_STEPS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("curriculum", "0001_initial"),
        ("accounts", "0003_team_leader_role"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
