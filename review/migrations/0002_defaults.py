"""Review rules with the DOMAIN.md §4 defaults, and admin permissions for training managers."""

from decimal import Decimal

from django.db import migrations

from accounts.migration_helpers import grant_permissions, revoke_permissions

GRANTS = {"Training manager": ["review.view_proposal", "review.view_vote", "review.view_reviewevent",
                               "review.view_committeemembership", "review.view_committeeapplication",
                               "review.view_reviewsettings", "review.change_reviewsettings"],
          "Operations manager": ["review.view_reviewsettings", "review.change_reviewsettings"]}


def seed(apps, schema_editor):
    apps.get_model("review", "ReviewSettings").objects.get_or_create(
        pk=1,
        defaults={"approvals_required": 3, "rejections_to_close": 2, "applicant_min_level": 4,
                  "applicant_min_pass_rate": Decimal("85.00")},
    )
    grant_permissions(apps, GRANTS)


def unseed(apps, schema_editor):
    revoke_permissions(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("review", "0001_initial"), ("accounts", "0003_team_leader_role")]

    operations = [migrations.RunPython(seed, unseed)]
