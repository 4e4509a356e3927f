"""Demotion reasons are codes rendered in the reader's language: drop the English sentence
rows kept beside their codes, and give old demotion notifications the codes of their event
(a notification without them keeps its stored text, so it stays readable)."""

from django.db import migrations


def forwards(apps, schema_editor):
    PromotionEvent = apps.get_model("promotion", "PromotionEvent")
    Notification = apps.get_model("promotion", "Notification")
    coded = PromotionEvent.objects.exclude(reasons=[]).exclude(reason="")
    coded.update(reason="")
    for notification in Notification.objects.filter(kind="demoted", key__startswith="demoted:").iterator():
        if "reasons" in notification.data:
            continue
        event_id = notification.key.split(":", 1)[1]
        if not event_id.isdigit():
            continue
        reasons = PromotionEvent.objects.filter(pk=int(event_id)).values_list("reasons", flat=True).first()
        if reasons:
            notification.data = {**notification.data, "reasons": reasons}
            notification.save(update_fields=["data"])


class Migration(migrations.Migration):
    dependencies = [("promotion", "0007_notification_review_kinds")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
