"""HR and training managers may import employees from the HR system's file."""

from django.db import migrations

from accounts.migration_helpers import grant_permissions, revoke_permissions

GRANTS = {"HR": ["accounts.import_employees"], "Training manager": ["accounts.import_employees"]}


def forwards(apps, schema_editor):
    grant_permissions(apps, GRANTS)


def backwards(apps, schema_editor):
    revoke_permissions(apps, GRANTS)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_onboarding_progress'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='user',
            options={'ordering': ['staff_id'], 'permissions': [('study', 'Can study, search the knowledge base and sit exams'), ('review', 'Can review proposals as a committee member'), ('manage_training', 'Can manage the competency model and curriculum'), ('view_employees', 'Can view the employee directory'), ('export_rosters', 'Can export promotion rosters'), ('manage_operations', 'Can manage operations and the review committee'), ('rate_behaviour', 'Can rate observed behaviour of team members (supervisor)'), ('import_employees', "Can import employees from the HR system's file")], 'verbose_name': 'employee', 'verbose_name_plural': 'employees'},
        ),
        migrations.RunPython(forwards, backwards),
    ]
