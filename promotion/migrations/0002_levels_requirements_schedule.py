"""Seed the ladder (DOMAIN.md §6): levels 0–5 with titles, badge colours and privileges,
the default requirements of each promotion, a few medals, role permissions and the daily
retention job (django-celery-beat, 02:30 Asia/Shanghai)."""

from django.db import migrations

from accounts.migration_helpers import grant_permissions, revoke_permissions

# (number, title, title_en, badge colour, can_mentor, can_apply_committee, privileges)
LEVELS = [
    (0, "小学生", "pupil", "#f5f5f5", False, False, "学习一级培训案例\n参加查询时长测试"),
    (1, "大学生", "undergraduate", "#f2c94c", False, False, "提出知识库修订与案例\n参加二级晋级考试"),
    (2, "教师", "teacher", "#f2994a", True, False, "带徒弟（一级以下员工）\n优先参加外出培训"),
    (3, "高级教师", "senior teacher", "#27ae60", True, False, "带徒弟\n参与质量案例评审\n调休计划优先"),
    (4, "导师", "mentor", "#2f80ed", True, True, "带徒弟\n可申请加入评委会（修订通过率 > 85%）\n参观学习名额"),
    (5, "大师", "master", "#222222", True, True, "带徒弟\n评委会成员资格\n参与制定晋级标准"),
]
# level: (apprentices required, apprentices promoted from level)
APPRENTICES = {3: (3, 0), 4: (3, 1)}
MEDALS = [
    ("knowledge-star", "知识之星", "Knowledge star", "知识库修订贡献突出", "#d4a017"),
    ("case-master", "案例能手", "Case master", "案例库贡献突出", "#b87333"),
    ("best-mentor", "金牌师傅", "Best mentor", "带徒成绩突出", "#c0c0c0"),
]
GRANTS = {
    "Training manager": ["promotion.*"],
    "Operations manager": ["promotion.award_medals", "promotion.view_promotionevent", "promotion.view_mentorship"],
    "HR": ["promotion.view_promotionevent", "promotion.view_retentionperiod"],
}
TASK_NAME = "promotion: retention re-tests, reminders and demotions (daily)"
TASK = "promotion.retention_daily_task"


def seed(apps, schema_editor):
    Level = apps.get_model("promotion", "Level")
    LevelRequirement = apps.get_model("promotion", "LevelRequirement")
    Medal = apps.get_model("promotion", "Medal")
    for number, title, title_en, colour, can_mentor, can_apply, privileges in LEVELS:
        level, _ = Level.objects.update_or_create(number=number, defaults={
            "title": title, "title_en": title_en, "badge_colour": colour, "can_mentor": can_mentor,
            "can_apply_committee": can_apply, "privileges": privileges,
        })
        if number == 0:
            continue
        required, from_level = APPRENTICES.get(number, (0, None))
        LevelRequirement.objects.get_or_create(level=level, defaults={
            "points_threshold": 800, "training_cases_required": None, "exam_case_count": 10,
            "exam_pass_percent": 80, "exam_time_limit_minutes": 40, "query_time_required": True,
            "apprentices_required": required, "apprentice_from_level": from_level, "retention_points": 200,
            "retest_opens_after_days": 335, "retention_days": 365, "retest_attempts": 2,
            "reminder_days_before_due": 14,
        })
    for code, name, name_en, description, colour in MEDALS:
        Medal.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en,
                                                         "description": description, "colour": colour})
    grant_permissions(apps, GRANTS)
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="2", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.update_or_create(name=TASK_NAME, defaults={"task": TASK, "crontab": crontab, "enabled": True})


def unseed(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()
    revoke_permissions(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("promotion", "0001_initial"),
        ("accounts", "0003_team_leader_role"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
