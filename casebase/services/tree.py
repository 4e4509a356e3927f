"""Tree writes of text cases: valid_tree (casebase.tree's rules as a CaseTreeInvalid),
write_tree (replace a case's CaseNode rows) and tree_text_of (the structured text of a case)."""

from typing import Any

from casebase.models import Case, CaseNode
from casebase.selectors import case_tree
from casebase.services.errors import CaseTreeInvalid
from casebase.tree import TreeError, tree_to_text, validate_tree


def valid_tree(tree: Any) -> dict:
    try:
        return validate_tree(tree)
    except TreeError as exc:
        raise CaseTreeInvalid(exc.messages) from None


def write_tree(case: Case, tree: dict) -> None:
    """Replace the case's nodes by ``tree`` (already validated). Nodes are saved one by one
    so django-simple-history records each."""
    for node in case.nodes.filter(parent__isnull=True):
        node.delete()

    def create(data: dict, parent: CaseNode | None, order: int) -> None:
        node = CaseNode.objects.create(
            case=case,
            parent=parent,
            order=order,
            role=data["role"],
            text=data["text"],
            emotion=data.get("emotion", ""),
            thinking=data.get("thinking", ""),
            rationales=data.get("rationales", []),
            is_best=data.get("is_best", False),
            outcome=data.get("outcome", ""),
            final_state=data.get("final_state", ""),
        )
        for index, child in enumerate(data.get("children", [])):
            create(child, node, index)

    create(tree, None, 0)


def tree_text_of(case: Case) -> str:
    return tree_to_text(case_tree(case)) if case.is_text else ""
