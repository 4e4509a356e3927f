"""Roles are Django groups; what a role may do is a permission on the group.

The groups and their permissions are created by migration (accounts/migrations/0002_roles.py)
so every environment has them. Code checks permissions, never group names, so a site can
reshape its roles in admin without a deploy.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CSR = "CSR", _("CSR")
    REVIEWER = "Reviewer", _("Review committee member")
    TRAINING_MANAGER = "Training manager", _("Training manager")
    HR = "HR", _("HR")
    OPERATIONS_MANAGER = "Operations manager", _("Operations manager")
    TEAM_LEADER = "Team leader", _("Team leader")


# Permission codenames defined on accounts.User (Meta.permissions).
STUDY = "accounts.study"
REVIEW = "accounts.review"
MANAGE_TRAINING = "accounts.manage_training"
VIEW_EMPLOYEES = "accounts.view_employees"
EXPORT_ROSTERS = "accounts.export_rosters"
MANAGE_OPERATIONS = "accounts.manage_operations"
RATE_BEHAVIOUR = "accounts.rate_behaviour"
IMPORT_EMPLOYEES = "accounts.import_employees"

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.CSR: ["study"],
    Role.REVIEWER: ["review"],
    Role.TRAINING_MANAGER: ["manage_training", "view_employees", "import_employees"],
    Role.HR: ["export_rosters", "view_employees", "import_employees"],
    Role.OPERATIONS_MANAGER: ["manage_operations", "view_employees", "review"],
    Role.TEAM_LEADER: ["rate_behaviour", "view_employees"],
}
