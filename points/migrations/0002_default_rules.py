"""Seed the point rules with the defaults of DOMAIN.md §5 (admins edit them afterwards)."""

from django.db import migrations

# (code, name, name_en, min, max, default)
RULES = [
    ("case_created", "创建案例被采纳", "Case created and accepted", 20, 50, 30),
    ("case_revised", "修订案例被采纳", "Case revision accepted", 5, 20, 10),
    ("quality_case_participant", "质量案例评审通过（参与者）", "Quality-case review passed (participant)", 5, 10, 5),
    ("quality_case_outstanding", "质量案例评审优秀", "Quality-case review outstanding", 60, 60, 60),
    ("kb_revision_accepted", "知识库修订被采纳", "Knowledge-base revision accepted", 2, 5, 3),
    ("committee_kb_review", "评委审核知识库修订", "Committee review of a KB revision", 5, 5, 5),
    ("committee_case_review", "评委审核案例", "Committee review of a case", 20, 20, 20),
    ("mentor_level_up", "带徒晋升一级（师傅）", "Mentor: apprentice promoted one level", 200, 200, 200),
    ("rationalisation_reasonable", "合理化建议（合理）", "Rationalisation proposal judged reasonable", 30, 100, 50),
    ("rationalisation_feasible", "合理化建议（可行）", "Rationalisation proposal judged feasible", 60, 200, 100),
    ("qc_topic_completed", "QC课题完成", "QC topic completed", 1, None, None),
    ("volunteer_sheet", "志愿服务", "Volunteer work (weekly sheet)", 1, None, None),
    ("manual_correction", "人工更正", "Manual correction", None, None, None),
]


def forwards(apps, schema_editor):
    PointRule = apps.get_model("points", "PointRule")
    for code, name, name_en, lo, hi, default in RULES:
        PointRule.objects.update_or_create(code=code, defaults={
            "name": name, "name_en": name_en, "min_amount": lo, "max_amount": hi, "default_amount": default,
            "active": True,
        })


def backwards(apps, schema_editor):
    apps.get_model("points", "PointRule").objects.filter(code__in=[r[0] for r in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("points", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
