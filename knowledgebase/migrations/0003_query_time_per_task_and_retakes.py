"""Query-time thresholds become seconds per task: the untouched seeded bands become the
DOMAIN.md defaults 1.20/1.30/1.40/1.50 s per task; bands an admin changed are converted by the
configured task count (falling back to the defaults when that gives nonsense). Finished results
keep the task count they were taken with and get their level recomputed by the per-task rule;
every test gets its deadline. Retake policy and time limit become settings."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

import django.core.validators
from django.db import migrations, models

import knowledgebase.models

DEFAULT_BANDS = [(Decimal("1.20"), 5), (Decimal("1.30"), 4), (Decimal("1.40"), 2), (Decimal("1.50"), 1)]
SEEDED_TOTALS = [(Decimal("120"), 5), (Decimal("130"), 4), (Decimal("140"), 2), (Decimal("150"), 1)]
MIN_TASKS, MAX_SECONDS = 10, Decimal("10.00")
EXPIRY_TASK_NAME = "knowledgebase: close abandoned query-time tests (every 5 minutes)"
EXPIRY_TASK = "knowledgebase.query_test_expire_overdue_task"


def to_per_task(apps, schema_editor):
    Test = apps.get_model("knowledgebase", "QueryTimeTest")
    Threshold = apps.get_model("knowledgebase", "QueryTimeThreshold")
    Session = apps.get_model("knowledgebase", "QueryTestSession")
    config, _ = Test.objects.get_or_create(pk=1)
    # The catch-all row (no bound) and rows allowing level 0 are implied now: a result slower
    # than every band allows level 0.
    Threshold.objects.filter(models.Q(below_seconds__isnull=True) | models.Q(allowed_level__lt=1)).delete()
    rows = list(Threshold.objects.all())
    # Untouched seed rows (0002) are the DOMAIN.md totals for the default 100 tasks, whatever
    # task count was configured later (the demo's 10 tasks is exactly the bug being fixed);
    # rows an admin changed are converted by the configured task count.
    untouched = sorted((r.below_seconds, r.allowed_level) for r in rows) == SEEDED_TOTALS
    converted = {}
    if rows and not untouched:
        for row in rows:
            converted[row.pk] = (row.below_seconds / config.task_count).quantize(Decimal("0.01"), ROUND_HALF_UP)
    values = list(converted.values())
    if not converted or len(set(values)) != len(values) or any(v <= 0 or v > MAX_SECONDS for v in values):
        Threshold.objects.all().delete()
        for seconds, level in DEFAULT_BANDS:
            Threshold.objects.create(seconds_per_task=seconds, allowed_level=level)
    else:
        for row in rows:
            row.seconds_per_task = converted[row.pk]
            row.save(update_fields=["seconds_per_task"])
    if config.task_count < MIN_TASKS:
        config.task_count = MIN_TASKS
        config.save(update_fields=["task_count"])

    bands = list(Threshold.objects.order_by("seconds_per_task"))
    limit = config.time_limit_seconds_per_task
    for session in Session.objects.all():
        session.deadline_at = session.started_at + datetime.timedelta(seconds=float(limit * session.task_count))
        fields = ["deadline_at"]
        if session.finished_at is not None and session.total_seconds is not None and session.task_count:
            session.allowed_level = next((b.allowed_level for b in bands
                                          if session.total_seconds <= b.seconds_per_task * session.task_count), 0)
            fields.append("allowed_level")
        session.save(update_fields=fields)


def schedule_expiry(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="*/5", hour="*", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.update_or_create(name=EXPIRY_TASK_NAME, defaults={"task": EXPIRY_TASK, "crontab": crontab,
                                                                           "enabled": True})


def unschedule_expiry(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=EXPIRY_TASK_NAME).delete()


def to_totals(apps, schema_editor):
    config = apps.get_model("knowledgebase", "QueryTimeTest").objects.filter(pk=1).first()
    count = config.task_count if config else 100
    Threshold = apps.get_model("knowledgebase", "QueryTimeThreshold")
    for row in Threshold.objects.all():
        # Back to totals (the old "below" bound differs from "at most" only at the bound itself).
        row.below_seconds = (row.seconds_per_task * count).quantize(Decimal("0.1"))
        row.save(update_fields=["below_seconds"])
    Threshold.objects.create(below_seconds=None, allowed_level=0, seconds_per_task=None)


class Migration(migrations.Migration):

    dependencies = [
        ('knowledgebase', '0002_search_index_and_defaults'),
        ('django_celery_beat', '0019_alter_periodictasks_options'),
    ]

    operations = [
        migrations.AddField(
            model_name='querytimethreshold',
            name='seconds_per_task',
            field=models.DecimalField(decimal_places=2, max_digits=4, null=True),
        ),
        migrations.AddField(
            model_name='querytestsession',
            name='deadline_at',
            field=models.DateTimeField(blank=True, help_text='Start + task count × the time limit per task, fixed when the test starts.', null=True, verbose_name='deadline'),
        ),
        migrations.AddField(
            model_name='querytestsession',
            name='expired',
            field=models.BooleanField(default=False, help_text='Not finished by its deadline: closed then, unanswered tasks counted as wrong, level 0.', verbose_name='abandoned'),
        ),
        migrations.AddField(
            model_name='querytimetest',
            name='best_window_days',
            field=models.PositiveSmallIntegerField(default=30, help_text='Used only by the “best within N days” rule. Default 30 days, 1 to 365.', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(365)], verbose_name='N days for “best within N days”'),
        ),
        migrations.AddField(
            model_name='querytimetest',
            name='counting_rule',
            field=models.CharField(choices=[('latest', 'Latest finished result'), ('best_recent', 'Best result within N days before the latest one')], default='latest', help_text='Which finished result decides the level the employee may hold. Default “latest”: every retake replaces the previous result, so retaking hoping for a lucky run is a gamble, not a free try. “Best within N days” keeps the best of the results finished on the day of the latest one or in the N calendar days before it (highest level, then fastest time per task).', max_length=20, verbose_name='result that counts'),
        ),
        migrations.AddField(
            model_name='querytimetest',
            name='reference_level1_percent',
            field=models.PositiveSmallIntegerField(default=70, help_text='Default 70 %: the share of the reference group that finishes within the level-1 time.', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(99)], verbose_name='calibration: share within the level-1 band (%)'),
        ),
        migrations.AddField(
            model_name='querytimetest',
            name='reference_level5_percent',
            field=models.PositiveSmallIntegerField(default=15, help_text='Default 15 %: the share of the reference group that finishes within the level-5 time. Must be smaller than the level-1 share.', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(99)], verbose_name='calibration: share within the level-5 band (%)'),
        ),
        migrations.AddField(
            model_name='querytimetest',
            name='reference_service_months',
            field=models.PositiveSmallIntegerField(default=3, help_text='The calibration page compares employees with at least this many months of service (hire date) against the reference shares below. Default 3 months (DOMAIN.md §4).', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(60)], verbose_name='calibration: months of service of the reference group'),
        ),
        migrations.AddField(
            model_name='querytimetest',
            name='retake_wait_hours',
            field=models.PositiveSmallIntegerField(default=24, help_text='Default 24 h: one attempt per working day is enough to recover from a bad day, but too few for a series of quick retakes hoping for one lucky fast run. Every start counts, also a test that was abandoned. 1 to 720 hours.', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(720)], verbose_name='waiting period between starts (hours)'),
        ),
        migrations.AddField(
            model_name='querytimetest',
            name='time_limit_seconds_per_task',
            field=models.DecimalField(decimal_places=2, default=Decimal('6.00'), help_text='A test not finished within N × this time is closed as abandoned: it counts as a result that allows level 0, so abandoning a bad run is never better than finishing it. Default 6 s per task (10 minutes for 100 tasks, four times the slowest band); it must be slower than every band.', max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('1.00')), django.core.validators.MaxValueValidator(Decimal('60.00'))], verbose_name='time limit per task (s)'),
        ),
        migrations.AlterField(
            model_name='querytimetest',
            name='wrong_answer_penalty_seconds',
            field=models.DecimalField(decimal_places=1, default=Decimal('10.0'), help_text='Each wrong answer adds this many seconds to the total time that decides the level. Default 10 s, at most 60 s: picking any entry fast must cost more than searching.', max_digits=6, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(60)], verbose_name='penalty per wrong answer (s)'),
        ),
        migrations.AlterField(
            model_name='querytimethreshold',
            name='allowed_level',
            field=models.PositiveSmallIntegerField(help_text='1 to 5; slower results than every band allow level 0.', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(5)], verbose_name='highest level allowed'),
        ),
        migrations.RunPython(to_per_task, to_totals),
        migrations.RunPython(schedule_expiry, unschedule_expiry),
        migrations.RemoveField(
            model_name='querytimethreshold',
            name='below_seconds',
        ),
        migrations.AlterField(
            model_name='querytimethreshold',
            name='seconds_per_task',
            field=models.DecimalField(decimal_places=2, help_text='Seconds per task; a test of N tasks is within the band when its total time (with the wrong-answer penalty) is at most N × this value. Defaults (DOMAIN.md §4, 100 tasks): 1.50 → level 1 (150 s), 1.40 → level 2, 1.30 → levels 3–4 (stored as 4), 1.20 → level 5 (120 s). Above 0, at most 10 s. Tighten them as employees get faster: the calibration page suggests values.', max_digits=4, unique=True, validators=[knowledgebase.models.validate_seconds_per_task], verbose_name='time per task at most (s)'),
        ),
        migrations.AlterModelOptions(
            name='querytimethreshold',
            options={'ordering': ['seconds_per_task'], 'verbose_name': 'query-time threshold', 'verbose_name_plural': 'query-time thresholds'},
        ),
        migrations.AlterField(
            model_name='querytimetest',
            name='task_count',
            field=models.PositiveSmallIntegerField(default=100, help_text='Default 100 (DOMAIN.md §4). At least 10: the result is the average time per task, and with fewer tasks one lucky query moves that average by a whole band (one query 1 s faster on a 10-task test is already 0.1 s per task). A finished test keeps the task count it was taken with.', validators=[django.core.validators.MinValueValidator(10), django.core.validators.MaxValueValidator(500)], verbose_name='tasks per test (N)'),
        ),
        migrations.AddConstraint(
            model_name='querytimetest',
            constraint=models.CheckConstraint(condition=models.Q(('task_count__gte', 10), ('task_count__lte', 500)), name='query_test_task_count_range'),
        ),
        migrations.AddConstraint(
            model_name='querytimetest',
            constraint=models.CheckConstraint(condition=models.Q(('retake_wait_hours__gte', 1)), name='query_test_wait_at_least_1h'),
        ),
        migrations.AddConstraint(
            model_name='querytimethreshold',
            constraint=models.CheckConstraint(condition=models.Q(('seconds_per_task__gt', 0), ('seconds_per_task__lte', Decimal('10.00'))), name='query_threshold_seconds_range'),
        ),
        migrations.AddConstraint(
            model_name='querytimethreshold',
            constraint=models.CheckConstraint(condition=models.Q(('allowed_level__gte', 1), ('allowed_level__lte', 5)), name='query_threshold_level_1_to_5'),
        ),
    ]
