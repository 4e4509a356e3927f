"""Give the managers what the points pages and admin need: see the ledger and correct it,
manage rules, judge rationalisation proposals, manage QC topics, import volunteer sheets."""

from django.db import migrations

from accounts.migration_helpers import grant_permissions, revoke_permissions

MANAGER_PERMISSIONS = [
    "points.view_pointsentry",
    "points.correct_entries",
    "points.view_pointrule",
    "points.add_pointrule",
    "points.change_pointrule",
    "points.view_pointsevent",
    "points.view_rationalisationproposal",
    "points.judge_proposals",
    "points.view_qctopic",
    "points.add_qctopic",
    "points.change_qctopic",
    "points.view_qcgroup",
    "points.view_qcgroupmember",
    "points.manage_qc_topics",
    "points.view_volunteersheet",
    "points.view_volunteersheetrow",
    "points.import_volunteer_sheets",
]
GRANTS = {"Training manager": MANAGER_PERMISSIONS, "Operations manager": MANAGER_PERMISSIONS}


def forwards(apps, schema_editor):
    grant_permissions(apps, GRANTS)


def backwards(apps, schema_editor):
    revoke_permissions(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("points", "0002_default_rules"), ("accounts", "0003_team_leader_role")]

    operations = [migrations.RunPython(forwards, backwards)]
