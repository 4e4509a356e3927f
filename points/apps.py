from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "points"
    verbose_name = _("Points")

    def ready(self):
        from points import home, onboarding

        home.register()  # its part of the home page (accounts.home)
        onboarding.register()  # its part of the first day (accounts.onboarding)
