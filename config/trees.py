"""The category trees of the knowledge base (knowledgebase.Category) and of the case library
(casebase.CaseCategory): both django-treebeard materialised-path trees (MP_Node), so these
helpers serve both.

A node's subtree is the rows whose ``path`` starts with its path: one query on the path
column's index (on PostgreSQL the unique CharField also gets a ``varchar_pattern_ops``
index, so the prefix test is an index range scan). Its ancestors are the prefixes of its
path, one ``steplen`` at a time.
"""

from django.db.models import Model, Q


def subtree_ids(node: Model) -> set[int]:
    """Ids of ``node`` and of every node below it (one path-prefix query)."""
    return set(
        type(node)._base_manager.filter(path__startswith=node.path).values_list("pk", flat=True)
    )


def subtree_q(node: Model, field: str = "category") -> Q:
    """Rows whose ``field`` (a foreign key to the tree) is ``node`` or a node below it."""
    return Q(**{f"{field}__path__startswith": node.path})


def parent_map(model: type[Model]) -> dict[int, int | None]:
    """{node pk: parent pk or None} of a whole tree (one query; for indexes that answer many
    ancestor questions without further queries, e.g. review.selectors.ExpertIndex)."""
    by_path = dict(model._base_manager.values_list("path", "pk"))
    return {pk: by_path.get(path[: -model.steplen]) for path, pk in by_path.items()}


def path_labels(model: type[Model], sep: str) -> list[tuple[int, str]]:
    """(pk, "root<sep>child<sep>grandchild") of every node, in tree order (one query): the
    labels of the category pickers, so that subcategories are recognisable."""
    names: dict[str, str] = {}
    out: list[tuple[int, str]] = []
    for pk, path, name in model._base_manager.order_by("path").values_list("pk", "path", "name"):
        names[path] = name
        ancestors = [
            names.get(path[:end], "?") for end in range(model.steplen, len(path), model.steplen)
        ]
        out.append((pk, sep.join([*ancestors, name])))
    return out
