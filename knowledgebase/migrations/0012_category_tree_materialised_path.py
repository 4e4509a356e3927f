"""The KB category tree becomes a django-treebeard materialised-path tree (MP_Node, like the
case library's): each row keeps its id (so entries, their history, review experts and
proposals keep pointing at it), its name, code and order; its parent is now the prefix of its
``path``, siblings in the tree's order (``order`` then ``code``). The parent column goes.

Backwards: the parent column is filled again from the paths."""

from django.db import migrations, models

STEPLEN = 4
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # treebeard's MP_Node defaults


def step(number: int) -> str:
    """treebeard's key of the ``number``-th child (1-based): base 36, zero-padded."""
    digits = ""
    while number:
        number, rest = divmod(number, len(ALPHABET))
        digits = ALPHABET[rest] + digits
    if len(digits) > STEPLEN:
        raise ValueError("More siblings than a materialised path step holds.")
    return digits.rjust(STEPLEN, ALPHABET[0])


def paths_from_parents(apps, schema_editor):
    Category = apps.get_model("knowledgebase", "Category")
    rows = list(Category.objects.values("pk", "parent_id", "order", "code"))
    children: dict[int | None, list[dict]] = {}
    for row in rows:
        children.setdefault(row["parent_id"], []).append(row)
    placed: dict[int, tuple[str, int, int]] = {}  # pk: (path, depth, numchild)
    stack = [(None, "", 0)]
    while stack:
        parent_id, parent_path, depth = stack.pop()
        siblings = sorted(children.get(parent_id, []), key=lambda r: (r["order"], r["code"]))
        if parent_id is not None:
            placed[parent_id] = (parent_path, depth, len(siblings))
        for number, row in enumerate(siblings, start=1):
            stack.append((row["pk"], parent_path + step(number), depth + 1))
    lost = sorted(row["pk"] for row in rows if row["pk"] not in placed)
    if lost:  # a parent cycle: no order of the rows is a tree; fix the parents, then migrate
        raise RuntimeError(f"KB categories {lost} are their own ancestors; give them a real parent first.")
    for pk, (path, depth, numchild) in placed.items():
        Category.objects.filter(pk=pk).update(path=path, depth=depth, numchild=numchild)


def parents_from_paths(apps, schema_editor):
    Category = apps.get_model("knowledgebase", "Category")
    by_path = dict(Category.objects.values_list("path", "pk"))
    for path, pk in by_path.items():
        Category.objects.filter(pk=pk).update(parent_id=by_path.get(path[:-STEPLEN]))


class Migration(migrations.Migration):

    dependencies = [
        ("knowledgebase", "0011_stale_flags_on_entry_change"),
    ]

    operations = [
        migrations.AddField(
            model_name="category",
            name="path",
            field=models.CharField(max_length=255, null=True),
        ),
        migrations.AddField(
            model_name="category",
            name="depth",
            field=models.PositiveIntegerField(default=1),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="category",
            name="numchild",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(paths_from_parents, parents_from_paths),
        migrations.AlterField(
            model_name="category",
            name="path",
            field=models.CharField(max_length=255, unique=True),
        ),
        migrations.RemoveField(
            model_name="category",
            name="parent",
        ),
        migrations.AlterModelOptions(
            name="category",
            options={"verbose_name": "category", "verbose_name_plural": "categories"},
        ),
    ]
