"""A pattern index on the lower-cased title for the search's "title opens with the query"
candidates (knowledgebase.search, kb_entry_title_prefix). PostgreSQL only: the database
collation is not C, so a plain btree cannot serve LIKE 'x%'; SQLite scans the few demo rows."""

from django.db import migrations

INDEX = "kb_entry_title_prefix"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON knowledgebase_entry (lower(title) text_pattern_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):

    dependencies = [("knowledgebase", "0009_search_vocabulary")]

    operations = [migrations.RunPython(create, drop)]
