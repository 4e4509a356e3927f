from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PromotionConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "promotion"
    verbose_name = _("Promotion")

    def ready(self):
        from casebase.selectors import register_exam_access, register_exam_needs
        from promotion import home, learning, onboarding, review_hooks
        from promotion.selectors import exam_pool_needed_by_level, sits_exam_with_case

        # The library health page shows exam readiness with the promotion rule.
        register_exam_needs(exam_pool_needed_by_level)
        # An examinee hears a drawn voice case's recording while the attempt runs.
        register_exam_access(sits_exam_with_case)
        home.register()  # its part of the home page (accounts.home)
        onboarding.register()  # its part of the first day (accounts.onboarding)
        review_hooks.register()  # delivers the review engine's decision notices (review.notices)
        learning.register()  # exam evidence and trajectory entries (curriculum)
