"""The search vocabulary (SearchToken) that corrects homophone typos on PostgreSQL, filled
from the existing entries, with its nightly rebuild; the pinyin vectors it replaces are
dropped (their GIN indexes go with the columns). The pinyin text column stays for the
embedded SQLite default."""

import re

from django.db import migrations, models

REBUILD_TASK = "knowledgebase.search_vocabulary_rebuild_task"
REBUILD_TASK_NAME = "Rebuild the KB search vocabulary"
BIGRAM = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2}$")


def fill_and_schedule(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        from knowledgebase.search import pinyin_of  # a pure function of the text

        SearchToken = apps.get_model("knowledgebase", "SearchToken")
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT word, ndoc FROM ts_stat('SELECT search_vector FROM knowledgebase_entry')")
            rows = [SearchToken(token=w, pinyin=pinyin_of(w), entries=n) for w, n in cursor.fetchall()
                    if BIGRAM.match(w)]
        SearchToken.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="50", hour="3", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.update_or_create(name=REBUILD_TASK_NAME, defaults={"task": REBUILD_TASK, "crontab": crontab,
                                                                            "enabled": True})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=REBUILD_TASK_NAME).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('knowledgebase', '0008_maintainers_permission_and_change_backfill'),
        ('django_celery_beat', '0019_alter_periodictasks_options'),
    ]

    operations = [
        migrations.CreateModel(
            name='SearchToken',
            fields=[
                ('token', models.CharField(max_length=2, primary_key=True, serialize=False, verbose_name='token')),
                ('pinyin', models.CharField(db_index=True, max_length=16, verbose_name='pinyin')),
                ('entries', models.PositiveIntegerField(default=1, verbose_name='entries holding it')),
            ],
            options={
                'verbose_name': 'search vocabulary token',
                'verbose_name_plural': 'search vocabulary',
            },
        ),
        migrations.RemoveField(
            model_name='entry',
            name='search_pinyin_title',
        ),
        migrations.RemoveField(
            model_name='entry',
            name='search_pinyin_title_vector',
        ),
        migrations.RemoveField(
            model_name='entry',
            name='search_pinyin_vector',
        ),
        migrations.RunPython(fill_and_schedule, unschedule),
    ]
