"""The one set of rules of a text-case tree, and its two input formats.

A tree is a nested dict (the proposal payload, the API input and output)::

    {"role": "customer", "text": "…", "emotion": "…", "thinking": "…",
     "children": [{"role": "csr", "text": "…", "rationales": ["most important", "…"],
                   "is_best": true, "outcome": "", "final_state": "", "children": [...]}]}

``validate_tree`` is used by the web form, the API and admin (through services); the
structured text format (``parse_tree_text`` / ``tree_to_text``) is what people type::

    客户: 我的话费怎么多扣了50元？ | 情绪: 愤怒 | 想法: 觉得被乱扣费
      客服*: 非常理解您的心情，我马上帮您查。 | 出发点: 先安抚情绪; 表明立即行动
        客户: 好吧，你查吧。 | 情绪: 稍缓和
          客服: 查到是视频会员自动续费…… | 出发点: 讲清原因 | 结果: 退订并退费 | 最终状态: 满意
      客服: 系统扣费不会错的。 | 出发点: 维护公司 | 结果: 客户投诉升级 | 最终状态: 更愤怒

Two spaces per level; "客户"/"C" is a customer turn, "客服"/"R" a CSR reply, a trailing
"*" marks the best reply among alternatives. English keys work too (emotion, thinking,
why, outcome, final).

A stored tree is a case's CaseNode rows; ``NodeTree`` is their adjacency (parent → children),
built once from the rows and read by every walk over them (the nested dict, the study walk,
the exam's decision points and questions).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from config.errors import ValidationFailedError

MAX_NODES = 200
MAX_DEPTH = 40
CUSTOMER, CSR = "customer", "csr"

ROLE_MARKERS = {
    "客户": CUSTOMER,
    "c": CUSTOMER,
    "customer": CUSTOMER,
    "客服": CSR,
    "r": CSR,
    "csr": CSR,
}
KEY_ALIASES = {
    "情绪": "emotion",
    "emotion": "emotion",
    "想法": "thinking",
    "thinking": "thinking",
    "出发点": "rationales",
    "考虑因素": "rationales",
    "why": "rationales",
    "rationales": "rationales",
    "结果": "outcome",
    "outcome": "outcome",
    "最终状态": "final_state",
    "final": "final_state",
    "final_state": "final_state",
}
TEXT_FIELDS = ("text", "emotion", "thinking", "outcome", "final_state")


class TreeError(ValidationFailedError):
    """The tree breaks a rule; ``messages`` lists every problem found (each names its turn),
    the field messages of "tree"."""

    def __init__(self, messages: list[str]):
        super().__init__(" ".join(messages), fields={"tree": messages})


def _clean_node(raw: Any, ref: str, errors: list[str]) -> dict | None:
    if not isinstance(raw, dict):
        errors.append(_("%(ref)s: each turn must be an object.") % {"ref": ref})
        return None
    node = {name: str(raw.get(name) or "").strip() for name in TEXT_FIELDS}
    node["role"] = str(raw.get("role") or "").strip()
    rationales = raw.get("rationales") or []
    if isinstance(rationales, str):
        rationales = [rationales]
    node["rationales"] = (
        [str(r).strip() for r in rationales if str(r).strip()]
        if isinstance(rationales, list)
        else []
    )
    node["is_best"] = bool(raw.get("is_best"))
    children = raw.get("children") or []
    node["children"] = children if isinstance(children, list) else []
    node["_ref"] = raw.get("_ref") or ref
    return node


def validate_tree(tree: Any) -> dict:
    """Check every rule and return the normalised tree (stripped strings, customer turns
    without rationales/best flags, a lone reply marked best). Raises TreeError listing
    every problem, each prefixed with the turn it concerns ("line 3" for the text format,
    "root.children[0]" for JSON)."""
    errors: list[str] = []
    if not tree:
        raise TreeError([_("The case needs the customer's first question.")])
    count = 0

    def walk(raw: Any, ref: str, parent_role: str | None, depth: int) -> dict | None:
        nonlocal count
        count += 1
        node = _clean_node(raw, ref, errors)
        if node is None:
            return None
        ref = node["_ref"]
        if node["role"] not in (CUSTOMER, CSR):
            errors.append(_("%(ref)s: the role must be “customer” or “csr”.") % {"ref": ref})
            return None
        if not node["text"]:
            errors.append(_("%(ref)s: the text is empty.") % {"ref": ref})
        if parent_role is None and node["role"] != CUSTOMER:
            errors.append(
                _("%(ref)s: the first turn must be the customer's question.") % {"ref": ref}
            )
        elif parent_role == CSR and node["role"] == CSR:
            errors.append(_("%(ref)s: a CSR reply cannot follow a CSR reply.") % {"ref": ref})
        elif parent_role == CUSTOMER and node["role"] == CUSTOMER:
            errors.append(_("%(ref)s: a customer turn must follow a CSR reply.") % {"ref": ref})
        if node["role"] == CSR and not node["rationales"]:
            errors.append(_("%(ref)s: give at least one rationale for this reply.") % {"ref": ref})
        if node["role"] == CUSTOMER:
            node["rationales"], node["is_best"] = [], False
        if depth > MAX_DEPTH:
            errors.append(
                _("%(ref)s: the conversation is deeper than %(max)s turns.")
                % {"ref": ref, "max": MAX_DEPTH}
            )
            return node
        children = []
        for index, child in enumerate(node["children"]):
            if count >= MAX_NODES:
                errors.append(_("The tree has more than %(max)s turns.") % {"max": MAX_NODES})
                break
            cleaned = walk(child, f"{ref}.children[{index}]", node["role"], depth + 1)
            if cleaned is not None:
                children.append(cleaned)
        node["children"] = children
        if not children:
            if node["role"] == CUSTOMER:
                errors.append(
                    _("%(ref)s: the conversation cannot end on a customer turn; add the CSR reply.")
                    % {"ref": ref}
                )
            elif not node["outcome"] or not node["final_state"]:
                errors.append(
                    _("%(ref)s: a leaf must record the outcome and the customer's final state.")
                    % {"ref": ref}
                )
        elif node["role"] == CUSTOMER:
            replies = [c for c in children if c["role"] == CSR]
            if len(replies) == 1:
                replies[0]["is_best"] = True
            elif len(replies) > 1 and sum(1 for c in replies if c["is_best"]) != 1:
                errors.append(
                    _("%(ref)s: mark exactly one of the replies to this customer turn as the best.")
                    % {"ref": ref}
                )
        return node

    root = walk(tree, "root", None, 1)
    if errors:
        raise TreeError(errors)
    return strip_refs(root)


def strip_refs(node: dict) -> dict:
    """The tree without the internal "_ref" labels (what is stored)."""
    return {
        **{k: v for k, v in node.items() if k not in ("_ref", "children")},
        "children": [strip_refs(c) for c in node.get("children", [])],
    }


def parse_tree_text(text: str) -> dict:
    """Parse the structured text format into a tree and validate it. Raises TreeError with
    line-numbered messages."""
    errors: list[str] = []
    stack: list[tuple[int, dict]] = []  # (depth, node)
    root = None
    for number, line in enumerate((text or "").replace("\t", "  ").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        ref = _("line %(n)s") % {"n": number}
        indent = len(line) - len(line.lstrip(" "))
        if indent % 2:
            errors.append(_("%(ref)s: indent with two spaces per level.") % {"ref": ref})
            continue
        depth = indent // 2
        parts = [p.strip() for p in line.strip().replace("｜", "|").split("|")]
        head = parts[0].replace("：", ":")
        marker, sep, body = head.partition(":")
        marker = marker.strip()
        best = marker.endswith("*")
        role = ROLE_MARKERS.get(marker.rstrip("*").strip().lower())
        if not sep or role is None:
            errors.append(
                _("%(ref)s: start the line with “客户:” (customer) or “客服:” (CSR reply).")
                % {"ref": ref}
            )
            continue
        node: dict[str, Any] = {
            "role": role,
            "text": body.strip(),
            "is_best": best,
            "children": [],
            "_ref": ref,
        }
        for part in parts[1:]:
            key, ksep, value = part.replace("：", ":").partition(":")
            field = KEY_ALIASES.get(key.strip().lower())
            if not ksep or field is None:
                errors.append(
                    _("%(ref)s: unknown attribute “%(key)s”.") % {"ref": ref, "key": key.strip()}
                )
                continue
            if field == "rationales":
                node["rationales"] = [
                    r.strip() for r in value.replace("；", ";").split(";") if r.strip()
                ]
            else:
                node[field] = value.strip()
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if depth == 0:
            if root is not None:
                errors.append(
                    _("%(ref)s: a case has one first question; indent this turn under a reply.")
                    % {"ref": ref}
                )
                continue
            root = node
        elif not stack or stack[-1][0] != depth - 1:
            errors.append(_("%(ref)s: indented too far (no turn one level above).") % {"ref": ref})
            continue
        else:
            stack[-1][1]["children"].append(node)
        stack.append((depth, node))
    if errors:
        raise TreeError(errors)
    return validate_tree(root)


def tree_to_text(tree: dict | None) -> str:
    """The structured text of a tree (the inverse of parse_tree_text)."""
    if not tree:
        return ""
    lines: list[str] = []

    def emit(node: dict, depth: int) -> None:
        marker = (
            "客户" if node["role"] == CUSTOMER else ("客服*" if node.get("is_best") else "客服")
        )
        parts = [f"{'  ' * depth}{marker}: {node['text']}"]
        for key, field in (("情绪", "emotion"), ("想法", "thinking")):
            if node.get(field):
                parts.append(f"{key}: {node[field]}")
        if node.get("rationales"):
            parts.append("出发点: " + "; ".join(node["rationales"]))
        for key, field in (("结果", "outcome"), ("最终状态", "final_state")):
            if node.get(field):
                parts.append(f"{key}: {node[field]}")
        lines.append(" | ".join(parts))
        for child in node.get("children", []):
            emit(child, depth + 1)

    emit(tree, 0)
    return "\n".join(lines) + "\n"


def count_nodes(tree: dict | None) -> int:
    if not tree:
        return 0
    return 1 + sum(count_nodes(c) for c in tree.get("children", []))


# The fields of a stored turn in the nested dict, in its order (without "id" and "children").
NODE_FIELDS = (
    "role",
    "text",
    "emotion",
    "thinking",
    "rationales",
    "is_best",
    "outcome",
    "final_state",
)


@dataclass
class NodeTree:
    """The adjacency of a case's stored turns (CaseNode rows: ``pk``, ``parent_id``,
    ``order``): ``nodes`` by pk and ``children`` by parent pk (None: the roots), each list in
    (order, pk) order. THE one place the parent → children map of a case is built."""

    nodes: dict[int, Any]
    children: dict[int | None, list[Any]]

    @classmethod
    def of(cls, nodes: Iterable[Any]) -> "NodeTree":
        ordered = sorted(nodes, key=lambda n: (n.order, n.pk))
        children: dict[int | None, list[Any]] = {}
        for node in ordered:
            children.setdefault(node.parent_id, []).append(node)
        return cls({n.pk: n for n in ordered}, children)

    @property
    def roots(self) -> list[Any]:
        return self.children.get(None, [])

    def children_of(self, node: Any) -> list[Any]:
        return self.children.get(node.pk, [])

    def ancestors(self, node: Any) -> list[Any]:
        """The turns above ``node``, from the root down."""
        path, cursor = [], node.parent_id
        while cursor is not None:
            path.append(self.nodes[cursor])
            cursor = self.nodes[cursor].parent_id
        path.reverse()
        return path

    def walk(self, *starts: Any) -> list[Any]:
        """``starts`` (default every root) and every turn below them, in tree order (depth
        first)."""
        out, stack = [], list(reversed(starts or self.roots))
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(reversed(self.children_of(node)))
        return out

    def nested(self, *, with_ids: bool = False) -> dict | None:
        """The nested dict of the first root (the proposal/API format; each turn with its
        "id" when ``with_ids``); None when there are no turns (voice cases)."""

        def build(node: Any) -> dict:
            data: dict[str, Any] = {"id": node.pk} if with_ids else {}
            data.update((name, getattr(node, name)) for name in NODE_FIELDS)
            data["rationales"] = list(node.rationales)
            data["children"] = [build(c) for c in self.children_of(node)]
            return data

        return build(self.roots[0]) if self.roots else None
