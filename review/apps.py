from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "review"
    verbose_name = _("Review committee")

    def ready(self):
        from review import home, onboarding
        from review.review_kinds import register_kinds

        register_kinds()
        home.register()  # its part of the home page (accounts.home)
        onboarding.register()  # its part of the first day (accounts.onboarding)
