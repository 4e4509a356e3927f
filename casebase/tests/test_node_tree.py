"""casebase.tree.NodeTree: the one adjacency (parent → children) of a case's stored turns,
read by the nested dict, the study walk, the decision points and the exam questions; and the
layout of casebase.services (one module per concern, no re-exports)."""

import ast
from pathlib import Path
from types import SimpleNamespace

import pytest

import casebase
from casebase import selectors
from casebase.tests.factories import CaseFactory, sample_tree
from casebase.tree import NodeTree


def turn(pk, parent_id, order, role="customer", text="", **kw):
    fields = {
        "emotion": "",
        "thinking": "",
        "rationales": (),
        "is_best": False,
        "outcome": "",
        "final_state": "",
    }
    fields.update(kw)
    return SimpleNamespace(
        pk=pk, parent_id=parent_id, order=order, role=role, text=text or f"t{pk}", **fields
    )


# Stored out of order on purpose: children go by (order, pk), not by the rows' order.
#   1 customer
#   ├── 3 csr (order 0)      ├── 2 csr (order 1, best)
#   │   └── 5 customer       │   └── 4 customer
ROWS = [
    turn(4, 2, 0),
    turn(2, 1, 1, role="csr", is_best=True, rationales=("安抚",)),
    turn(5, 3, 0),
    turn(1, None, 0),
    turn(3, 1, 0, role="csr"),
]


def test_children_are_in_order_then_pk_whatever_the_rows_order():
    tree = NodeTree.of(ROWS)
    assert [n.pk for n in tree.roots] == [1]
    assert [n.pk for n in tree.children_of(tree.nodes[1])] == [3, 2]
    assert tree.children_of(tree.nodes[4]) == []


def test_walk_is_depth_first_tree_order_and_ancestors_run_from_the_root():
    tree = NodeTree.of(ROWS)
    assert [n.pk for n in tree.walk()] == [1, 3, 5, 2, 4]
    assert [n.pk for n in tree.walk(tree.nodes[2])] == [2, 4]
    assert [n.pk for n in tree.ancestors(tree.nodes[4])] == [1, 2]
    assert tree.ancestors(tree.nodes[1]) == []


def test_nested_gives_the_proposal_format_with_ids_only_when_asked():
    tree = NodeTree.of(ROWS)
    plain, with_ids = tree.nested(), tree.nested(with_ids=True)
    assert "id" not in plain and with_ids["id"] == 1
    assert [c["text"] for c in plain["children"]] == ["t3", "t2"]
    assert plain["children"][1]["rationales"] == ["安抚"]  # a list, as the payload stores it
    assert [c["id"] for c in with_ids["children"][1]["children"]] == [4]
    assert NodeTree.of([]).nested() is None


@pytest.mark.django_db
def test_every_reader_of_a_stored_tree_agrees_with_the_tree_written(django_assert_num_queries):
    # given a text case written from the sample tree
    case = CaseFactory(tree=sample_tree())
    # when / then: the nested dict is what was written, in one query
    with django_assert_num_queries(1):
        assert selectors.case_tree(case) == sample_tree()
    # and the walk and the decision points read the same adjacency
    walk = selectors.case_walk(case, None)
    root = selectors.case_node_tree(case).roots[0]
    assert walk.current == root and walk.path == []
    assert walk.replies[0].is_best
    assert [p.customer for p in selectors.decision_points(case)][0] == root


def test_casebase_services_is_a_package_of_concern_modules_without_re_exports():
    package = Path(casebase.__file__).parent / "services"
    init = ast.parse((package / "__init__.py").read_text())
    # only a docstring: callers import from the concern module itself
    assert len(init.body) == 1 and isinstance(init.body[0].value, ast.Constant)
    modules = {p.stem for p in package.glob("*.py")} - {"__init__"}
    assert {"proposals", "audio", "tree", "study", "exam_use", "pruning", "retirement"} <= modules
