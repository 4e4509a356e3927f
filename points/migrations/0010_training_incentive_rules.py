"""Training incentives (培训激励机制): completing a priority course (精品课程) or finishing a
stage of the learning map can pay points. Seeded switched off with small amounts and a
maximum; training managers switch them on and set the amounts in admin. Each pays once per
employee and course/stage (the ledger's unique source key)."""

from django.db import migrations

# (code, name, name_en, min, max, default)
RULES = [
    ("priority_course_completed", "完成精品课程", "Priority course completed", 1, 20, 5),
    ("map_stage_completed", "完成学习地图阶段", "Learning-map stage finished", 1, 50, 20),
]


def forwards(apps, schema_editor):
    PointRule = apps.get_model("points", "PointRule")
    for code, name, name_en, lo, hi, default in RULES:
        PointRule.objects.get_or_create(code=code, defaults={
            "name": name, "name_en": name_en, "min_amount": lo, "max_amount": hi, "default_amount": default,
            "active": False,
        })


def backwards(apps, schema_editor):
    PointRule = apps.get_model("points", "PointRule")
    used = PointRule.objects.filter(code__in=[r[0] for r in RULES], entries__isnull=False).values_list("code", flat=True)
    PointRule.objects.filter(code__in=[r[0] for r in RULES]).exclude(code__in=list(used)).delete()


class Migration(migrations.Migration):
    dependencies = [("points", "0009_correction_limit_30_days")]

    operations = [migrations.RunPython(forwards, backwards)]
