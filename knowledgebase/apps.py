from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgebaseConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "knowledgebase"
    verbose_name = _("Knowledge base")

    def ready(self):
        from knowledgebase import onboarding
        from knowledgebase.review_kinds import register_kinds

        register_kinds()
        onboarding.register()  # its part of the first day (accounts.onboarding)
