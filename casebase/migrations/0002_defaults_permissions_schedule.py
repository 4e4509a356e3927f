"""Case-library settings with the DOMAIN.md §3 defaults, role permissions, and the daily
pruning schedule (django-celery-beat, 03:00 Asia/Shanghai)."""

from django.db import migrations

from accounts.migration_helpers import grant_permissions, revoke_permissions

GRANTS = {
    "Training manager": ["casebase.*"],
    "Reviewer": ["casebase.view_history_library", "casebase.view_retirementcandidate"],
    "Operations manager": ["casebase.view_history_library"],
}
TASK_NAME = "casebase: prune case libraries (daily)"
TASK = "casebase.prune_case_libraries_task"


def seed(apps, schema_editor):
    apps.get_model("casebase", "CaseLibrarySettings").objects.get_or_create(
        pk=1, defaults={"default_cap": 120, "target_per_level": 100, "prune_mode": "move"}
    )
    grant_permissions(apps, GRANTS)
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="3", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.update_or_create(name=TASK_NAME, defaults={"task": TASK, "crontab": crontab, "enabled": True})


def unseed(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()
    revoke_permissions(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("casebase", "0001_initial"),
        ("accounts", "0003_team_leader_role"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
