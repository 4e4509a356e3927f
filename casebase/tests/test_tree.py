import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casebase.tests.factories import SAMPLE_TREE_TEXT
from casebase.tree import TreeError, parse_tree_text, tree_to_text, validate_tree


def reply(text="好的，我来处理。", **kw):
    return {
        "role": "csr",
        "text": text,
        "rationales": ["安抚"],
        "outcome": "解决",
        "final_state": "满意",
        **kw,
    }


def test_sample_tree_parses_with_branches_alternatives_and_ranked_rationales():
    # when
    tree = parse_tree_text(SAMPLE_TREE_TEXT)
    # then
    assert tree["role"] == "customer" and tree["emotion"] == "愤怒"
    best, other = tree["children"]
    assert best["is_best"] and not other["is_best"]
    assert best["rationales"] == ["先安抚情绪", "表明立即行动"]
    assert len(best["children"]) == 2  # two customer follow-up branches
    assert other["outcome"] == "客户投诉升级" and other["final_state"] == "更加愤怒"


def test_text_format_round_trips():
    tree = parse_tree_text(SAMPLE_TREE_TEXT)
    assert parse_tree_text(tree_to_text(tree)) == tree


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "客服: 您好 | 出发点: 礼貌 | 结果: 无 | 最终状态: 无",
            "line 1: the first turn must be the customer's question.",
        ),
        (
            "客户: 问题\n"
            "  客服: 回复 | 出发点: a\n"
            "    客服: 再回复 | 出发点: b | 结果: x | 最终状态: y",
            "line 3: a CSR reply cannot follow a CSR reply.",
        ),
        ("客户: 问题\n  客户: 又问", "line 2: a customer turn must follow a CSR reply."),
        (
            "客户: 问题\n  客服: 回复 | 结果: x | 最终状态: y",
            "line 2: give at least one rationale for this reply.",
        ),
        (
            "客户: 问题\n  客服: 回复 | 出发点: a",
            "line 2: a leaf must record the outcome and the customer's final state.",
        ),
        (
            "客户: 问题",
            "line 1: the conversation cannot end on a customer turn; add the CSR reply.",
        ),
        (
            "客户: 问题\n"
            "  客服: 甲 | 出发点: a | 结果: x | 最终状态: y\n"
            "  客服: 乙 | 出发点: b | 结果: x | 最终状态: y",
            "line 1: mark exactly one of the replies to this customer turn as the best.",
        ),
        ("客户: 问题\n      客服: 回复", "line 2: indented too far (no turn one level above)."),
        ("客户: 问题\n   客服: 回复", "line 2: indent with two spaces per level."),
        (
            "客户: 问题\n  顾客: 回复",
            "line 2: start the line with “客户:” (customer) or “客服:” (CSR reply).",
        ),
        ("客户: 问题 | 心情: 急", "line 1: unknown attribute “心情”."),
    ],
)
def test_invalid_trees_are_refused_with_a_line_numbered_message(text, message):
    with pytest.raises(TreeError) as excinfo:
        parse_tree_text(text)
    assert message in excinfo.value.messages


def test_json_trees_name_the_failing_turn_by_its_path():
    tree = {"role": "customer", "text": "问", "children": [reply(children=[reply()])]}
    with pytest.raises(TreeError) as excinfo:
        validate_tree(tree)
    assert excinfo.value.messages == [
        "root.children[0].children[0]: a CSR reply cannot follow a CSR reply."
    ]


def test_a_lone_reply_is_the_best_one_and_customer_turns_carry_no_rationale():
    tree = validate_tree(
        {"role": "customer", "text": "问", "rationales": ["x"], "children": [reply()]}
    )
    assert tree["children"][0]["is_best"] is True
    assert tree["rationales"] == []


def test_empty_tree_is_refused():
    with pytest.raises(TreeError) as excinfo:
        validate_tree(None)
    assert excinfo.value.messages == ["The case needs the customer's first question."]


texts = st.text(alphabet="你好请问客户话费退订套餐流量谢谢", min_size=1, max_size=8)


@st.composite
def customer_turns(draw, depth=0):
    node = {
        "role": "customer",
        "text": draw(texts),
        "emotion": draw(st.sampled_from(["", "愤怒", "平静"])),
        "thinking": "",
        "rationales": [],
        "is_best": False,
        "outcome": "",
        "final_state": "",
    }
    n_replies = draw(st.integers(1, 3))
    best = draw(st.integers(0, n_replies - 1))
    node["children"] = []
    for i in range(n_replies):
        follow_ups = draw(st.integers(0, 2)) if depth < 2 else 0
        children = [draw(customer_turns(depth + 1)) for _ in range(follow_ups)]
        node["children"].append(
            {
                "role": "csr",
                "text": draw(texts),
                "emotion": "",
                "thinking": "",
                "rationales": draw(st.lists(texts, min_size=1, max_size=3)),
                "is_best": i == best,
                "outcome": "" if children else draw(texts),
                "final_state": "" if children else draw(texts),
                "children": children,
            }
        )
    return node


@settings(max_examples=60, deadline=None)
@given(customer_turns())
def test_any_valid_tree_survives_validation_and_the_text_round_trip(tree):
    valid = validate_tree(tree)
    assert valid == tree
    assert parse_tree_text(tree_to_text(valid)) == valid
