from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "points"
    verbose_name = _("Points")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from points import desk, home, onboarding, review_hooks
        from points.models import PointsEntry
        from points.selectors import ledger_changed

        home.register()  # its part of the home page (accounts.home)
        desk.register()  # its lines and the review committee's on the desk (points.desk)
        onboarding.register()  # its part of the first day (accounts.onboarding)
        review_hooks.register()  # the ledger the reviewer insights read (review.ledger)

        # Every write of an entry, whoever makes it, makes the employee's cached pages stale.
        post_save.connect(ledger_changed, sender=PointsEntry, dispatch_uid="points-ledger-save")
        post_delete.connect(ledger_changed, sender=PointsEntry, dispatch_uid="points-ledger-del")
