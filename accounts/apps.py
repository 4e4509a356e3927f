from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from django.contrib.auth import get_user_model

        from accounts import schema  # noqa: F401  (registers the token scheme with drf-spectacular)
        from accounts.home import register as register_home_panels
        from accounts.permission_cache import connect_signals

        connect_signals(get_user_model())
        register_home_panels()  # its own home panels; the other apps register theirs
