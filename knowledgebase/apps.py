from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgebaseConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "knowledgebase"
    verbose_name = _("Knowledge base")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from knowledgebase import home, onboarding
        from knowledgebase.models import Category, Entry
        from knowledgebase.review_kinds import register_kinds
        from knowledgebase.search import results_stale

        register_kinds()
        # Cached search results (search_outcome_cached) go stale with any entry or category write.
        for model in (Entry, Category):
            post_save.connect(
                results_stale, sender=model, dispatch_uid=f"kb-results-{model.__name__}"
            )
            post_delete.connect(
                results_stale, sender=model, dispatch_uid=f"kb-results-d-{model.__name__}"
            )
        home.register()  # its line of the operations desk (points.desk)
        onboarding.register()  # its part of the first day (accounts.onboarding)
