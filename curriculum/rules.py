"""Who may follow and rate whom (named predicates, see accounts/rules.py)."""

from accounts import roles
from accounts.rules import holds, is_self, register, same_team

# obj: the employee rated. The rater holds accounts.rate_behaviour (team leaders), is of the
# employee's team and is not rating themselves.
RATE_EMPLOYEE = "curriculum.rate_employee"
# obj: the employee whose trajectory and gap analysis are shown: themselves, a training
# manager, or a team leader of the same team.
VIEW_EMPLOYEE = "curriculum.view_employee"

leads_team_of = holds(roles.RATE_BEHAVIOUR) & same_team

register(RATE_EMPLOYEE, leads_team_of & ~is_self)
register(VIEW_EMPLOYEE, is_self | holds(roles.MANAGE_TRAINING) | leads_team_of)
