from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasebaseConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "casebase"
    verbose_name = _("Case libraries")

    def ready(self):
        from casebase import citations, home, onboarding
        from casebase.review_kinds import register_kinds

        register_kinds()
        home.register()  # its part of the home page (accounts.home)
        onboarding.register()  # its part of the first day (accounts.onboarding)
        citations.register()  # the cases citing a KB entry (knowledgebase.citations)
