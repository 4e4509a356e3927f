from django.db import migrations

from accounts.migration_helpers import grant_permissions, revoke_permissions

GRANTS = {"Team leader": ["accounts.rate_behaviour", "accounts.view_employees"]}


def forwards(apps, schema_editor):
    grant_permissions(apps, GRANTS)


def backwards(apps, schema_editor):
    revoke_permissions(apps, GRANTS)
    apps.get_model("auth", "Group").objects.filter(name="Team leader").delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_roles")]

    operations = [
        migrations.AlterModelOptions(
            name="user",
            options={
                "ordering": ["staff_id"],
                "permissions": [
                    ("study", "Can study, search the knowledge base and sit exams"),
                    ("review", "Can review proposals as a committee member"),
                    ("manage_training", "Can manage the competency model and curriculum"),
                    ("view_employees", "Can view the employee directory"),
                    ("export_rosters", "Can export promotion rosters"),
                    ("manage_operations", "Can manage operations and the review committee"),
                    ("rate_behaviour", "Can rate observed behaviour of team members (supervisor)"),
                ],
                "verbose_name": "employee",
                "verbose_name_plural": "employees",
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
