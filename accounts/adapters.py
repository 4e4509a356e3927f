from allauth.account.adapter import DefaultAccountAdapter


class StaffAccountAdapter(DefaultAccountAdapter):
    """Employees are provisioned by HR (admin or import), never by self sign-up."""

    def is_open_for_signup(self, request) -> bool:
        return False
