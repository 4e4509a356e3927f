import uuid

from django.core.management.base import BaseCommand, CommandError

from accounts.tasks import celery_ping_task


class Command(BaseCommand):
    help = "Send a ping task through the broker and wait for a worker to answer."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=10.0)

    def handle(self, *args, timeout: float, **options):
        token = uuid.uuid4().hex
        try:
            answer = celery_ping_task.delay(token).get(timeout=timeout)
        except Exception as exc:
            raise CommandError(f"No worker answered within {timeout}s: {exc}") from exc
        if answer != f"pong:{token}":
            raise CommandError(f"Unexpected answer {answer!r}")
        self.stdout.write(self.style.SUCCESS(f"worker answered {answer}"))
