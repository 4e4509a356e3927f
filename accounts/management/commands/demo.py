import importlib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

# Each module has load(*, stdout) and is safe to run again. Order matters: later
# modules use what earlier ones created.
DEMO_MODULES = [
    "accounts.demo",
    "casebase.demo",
    "knowledgebase.demo",
    "review.demo",
    "points.demo",
    "competency.demo_qsort",
    "curriculum.demo",
    "promotion.demo",
]


class Command(BaseCommand):
    help = "Load (or refresh) the demo data set: centres, teams, employees of every role and level."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Allow running with DEBUG off.")

    def handle(self, *args, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to load demo accounts with DEBUG off (they share a known password). Use "
                "--force."
            )
        with transaction.atomic():
            for module_name in DEMO_MODULES:
                importlib.import_module(module_name).load(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
