"""API token authentication: django-rest-knox tokens (stored hashed, with an expiry), refused
once the owner's password changed after the token was issued or the account was deactivated.

Why knox rather than DRF's own Token: DRF keeps one plaintext, never-expiring token per user;
knox stores only a digest, gives every token an expiry (REST_KNOX["TOKEN_TTL"]), allows one
token per device and has logout / logout-all endpoints.
"""

from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication
from rest_framework import exceptions


class ApiTokenAuthentication(TokenAuthentication):
    """knox's TokenAuthentication, plus: a token issued before the user's last password change
    is deleted and refused (Django's session auth hash does the same for web sessions)."""

    def validate_user(self, auth_token):
        user = auth_token.user
        if user.password_changed_at is not None and auth_token.created < user.password_changed_at:
            auth_token.delete()
            raise exceptions.AuthenticationFailed(
                _("The password changed since this token was issued.")
            )
        return super().validate_user(auth_token)
