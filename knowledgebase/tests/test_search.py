from datetime import date, timedelta

import pytest

from knowledgebase import search
from knowledgebase.tests.factories import CategoryFactory, EntryFactory

pytestmark = pytest.mark.django_db


def test_tokens_hold_cjk_bigrams_latin_words_and_jieba_words():
    result = search.tokens("国际漫游5G套餐").split()
    assert {"国际", "际漫", "漫游", "5g", "套餐"} <= set(result)
    assert "国际漫游" in result  # jieba word of more than two characters kept for ranking


@pytest.mark.parametrize(
    "query, expected",
    [
        ("携号转网", "(携号 <-> 号转 <-> 转网 | ((携号) & (转网)))"),
        ("宽带坏了", "(宽带 <-> 带坏 <-> 坏了)"),  # 坏 and 了 are single characters: phrase only
        ("国际漫游", "(国际 <-> 际漫 <-> 漫游 | 国际漫游)"),
        ("流量 套餐", "(流量) & (套餐)"),
        ("5g", "5g:*"),
        ("费", "费:*"),
        ("  ，。 ", None),
    ],
)
def test_queries_become_bigram_phrases_anded_over_terms(query, expected):
    assert search.tsquery(query) == expected


def test_search_finds_by_title_alias_and_body_and_ranks_title_matches_first():
    # given
    in_body = EntryFactory(title="积分有效期", body="客户携号转网前请先使用积分。")
    in_title = EntryFactory(title="携号转网办理条件", body="需满足实名、无欠费等条件。")
    alias = EntryFactory(title="授权码获取", body="发送短信获取。", keywords="携转授权码 SQXZ")
    EntryFactory(title="宽带故障报修", body="重启光猫。")
    # when
    hits = search.search("携号转网")
    by_alias = search.search("sqxz")
    # then
    # title matches first; then keyword/body matches (携转 is a seeded synonym), popular then newest
    # first
    assert [h.entry_id for h in hits] == [in_title.pk, alias.pk, in_body.pk]
    assert [h.entry_id for h in by_alias] == [alias.pk]


def test_phrase_query_does_not_match_scattered_characters():
    EntryFactory(title="转账号码网络", body="携带证件。")  # has 携, 号, 转, 网 but not 携号转网
    assert search.search("携号转网") == []


def test_search_highlights_the_matched_words():
    EntryFactory(title="流量加油包办理", body="流量加油包分为日包和月包<b>。")
    hit = search.search("加油包")[0]
    assert "<mark>加油包</mark>" in hit.title_html
    assert "<mark>加油包</mark>" in hit.snippet_html
    assert "&lt;b&gt;" in hit.snippet_html  # entry text is escaped


def test_category_filter_includes_subcategories():
    parent = CategoryFactory(code="billing")
    child = CategoryFactory(code="billing-pay", parent=parent)
    other = CategoryFactory(code="broadband")
    inside = EntryFactory(title="话费充值渠道", category=child)
    EntryFactory(title="宽带充值说明", category=other)
    hits = search.search("充值", category_ids=parent.descendant_ids())
    assert [h.entry_id for h in hits] == [inside.pk]


def test_entries_out_of_their_effective_period_are_not_found():
    today = date.today()
    EntryFactory(
        title="已过期的活动口径",
        effective_from=today - timedelta(days=30),
        effective_to=today - timedelta(days=1),
    )
    EntryFactory(title="未来的活动口径", effective_from=today + timedelta(days=1))
    current = EntryFactory(title="当前的活动口径", effective_from=today - timedelta(days=1))
    assert [h.entry_id for h in search.search("活动口径")] == [current.pk]


def test_jieba_is_initialised_once_per_process():
    assert search.jieba_tokenizer() is search.jieba_tokenizer()
