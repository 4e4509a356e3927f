"""Operations managers maintain the knowledge base directly (the maintain_entries
permission), and every existing version gets its EntryChange row from the history.

Before this migration the history kept why a version was made as a sentence
("proposal #12: <reason>", "demo") in history_change_reason; the backfill keeps the data
(the proposal, its full reason, the author) and leaves the wording to the page that shows
it. Versions an admin made (raised version, no reason) are marked as admin changes."""

import re

from django.db import migrations

from accounts.migration_helpers import grant_permissions, revoke_permissions

GRANTS = {"Operations manager": ["knowledgebase.maintain_entries"]}
PROPOSAL_REASON = re.compile(r"^proposal #(\d+): ", re.S)
BATCH = 1000


def grant(apps, schema_editor):
    grant_permissions(apps, GRANTS)


def revoke(apps, schema_editor):
    revoke_permissions(apps, GRANTS)


def backfill(apps, schema_editor):
    HistoricalEntry = apps.get_model("knowledgebase", "HistoricalEntry")
    EntryChange = apps.get_model("knowledgebase", "EntryChange")
    Proposal = apps.get_model("review", "Proposal")
    Entry = apps.get_model("knowledgebase", "Entry")
    existing = set(EntryChange.objects.values_list("entry_id", "version"))
    entry_ids = set(Entry.objects.values_list("pk", flat=True))
    latest: dict[tuple[int, int], object] = {}
    records = (HistoricalEntry.objects.filter(history_type__in=["+", "~"])
               .order_by("history_date", "history_id")
               .values("id", "version", "history_user_id", "history_change_reason", "history_date")
               .iterator(chunk_size=BATCH))
    for record in records:
        key = (record["id"], record["version"])
        if key not in existing and record["id"] in entry_ids:
            latest[key] = record  # the last record of a version is the version as it stood
    proposal_ids = set()
    for record in latest.values():
        match = PROPOSAL_REASON.match(record["history_change_reason"] or "")
        if match:
            proposal_ids.add(int(match.group(1)))
    reasons = dict(Proposal.objects.filter(pk__in=proposal_ids).values_list("pk", "reason"))
    rows = []
    for (entry_id, version), record in latest.items():
        text = record["history_change_reason"] or ""
        match = PROPOSAL_REASON.match(text)
        proposal_id = int(match.group(1)) if match else None
        if proposal_id is not None and proposal_id in reasons:
            via, reason = "committee", reasons[proposal_id]
        elif proposal_id is not None:
            via, reason, proposal_id = "committee", text[match.end():], None
        elif version > 1 and not text:
            via, reason = "admin", ""
        else:
            via, reason = "loader", "" if text == "demo" else text
        rows.append(EntryChange(entry_id=entry_id, version=version, kind="created" if version == 1 else "revised",
                                via=via, author_id=record["history_user_id"], reason=reason,
                                proposal_id=proposal_id, created_at=record["history_date"]))
    EntryChange.objects.bulk_create(rows, batch_size=BATCH)


class Migration(migrations.Migration):

    dependencies = [
        ("knowledgebase", "0007_entry_maintainers_changes_retire"),
        ("accounts", "0004_password_changed_at"),
    ]

    operations = [
        migrations.RunPython(grant, revoke),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
