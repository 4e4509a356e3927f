from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CurriculumConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "curriculum"
    verbose_name = _("Curriculum")

    def ready(self):
        from curriculum import home
        from curriculum.map_cache import connect_signals

        connect_signals()
        home.register()  # its part of the home page (accounts.home)
