"""Synonyms, the fallback (some of the words, homophone typos) and the SQLite path of the KB
search."""

import pytest

from config.errors import ValidationFailedError
from knowledgebase import search, services
from knowledgebase.models import SynonymGroup
from knowledgebase.tests.factories import EntryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["postgres", "sqlite"])
def engine(request, settings):
    """Run on the full-text path and on the embedded default's plain-matching path (the
    search code chooses by settings.IS_POSTGRES; icontains runs on PostgreSQL as well)."""
    if request.param == "sqlite":
        settings.IS_POSTGRES = False
    return request.param


def test_seeded_synonyms_find_the_other_word_and_say_so(engine):
    # given an entry that says 退费, never 退款
    refund = EntryFactory(title="宽带包年退费规则", body="按剩余月份折算。")
    # when
    outcome = search.search_outcome("退款")
    # then
    assert [h.entry_id for h in outcome.hits] == [refund.pk]
    assert "退费" in outcome.also_searched
    assert outcome.fallback is False


def test_a_synonym_inside_a_longer_term_is_replaced(engine):
    entry = EntryFactory(title="营销外呼投诉处理", body="登记免打扰。")
    assert [h.entry_id for h in search.search("推销电话投诉")] == [entry.pk]


def test_a_new_synonym_group_applies_to_the_next_search_without_a_restart(engine):
    # given
    entry = EntryFactory(title="家庭网成员添加", body="最多加十九人。")
    assert search.search("亲情网") == []
    # when
    services.synonym_group_create(terms="亲情网 家庭网")
    # then
    assert [h.entry_id for h in search.search("亲情网")] == [entry.pk]


def test_a_deleted_synonym_group_no_longer_applies(engine):
    group = services.synonym_group_create(terms="亲情网 家庭网")
    EntryFactory(title="家庭网成员添加", body="最多加十九人。")
    assert search.search("亲情网")
    group.delete()
    assert search.search("亲情网") == []


def test_a_synonym_group_needs_two_terms():
    with pytest.raises(ValidationFailedError, match="at least two different terms"):
        services.synonym_group_create(terms="退款 退款")
    assert not SynonymGroup.objects.filter(terms="退款 退款").exists()


def test_a_colloquial_query_finds_the_entry_through_filler_words_and_synonyms(engine):
    repair = EntryFactory(title="宽带故障报修流程", body="先重启光猫，再登记工单。")
    EntryFactory(title="宽带新装预约", body="预约上门时间。")
    assert search.search("宽带坏了怎么办")[0].entry_id == repair.pk


def test_fallback_ranks_entries_with_most_words_first_and_is_flagged(engine):
    # given no entry holds all of 流量 套餐 夜间 国际
    best = EntryFactory(title="夜间流量套餐说明", body="零点到七点。")
    EntryFactory(title="国际长途资费", body="按分钟计费。")
    # when
    outcome = search.search_outcome("夜间流量 国际套餐优惠")
    # then
    assert outcome.fallback is True
    assert outcome.hits[0].entry_id == best.pk


def test_strict_matches_are_not_flagged_as_fallback(engine):
    EntryFactory(title="夜间流量套餐说明", body="零点到七点。")
    assert search.search_outcome("夜间流量").fallback is False


@pytest.mark.parametrize(
    "typo, correct, title, same_other_word",
    [
        ("宽代故障", "宽带故障", "宽带故障报修", "电视故障处理"),
        ("协号转网", "携号转网", "携号转网办理条件", "积分清零规则"),
        ("停机宝号", "停机保号", "停机保号办理", "停机原因查询"),
    ],
)
def test_homophone_typos_of_a_pinyin_input_method_find_the_entry(
    engine, typo, correct, title, same_other_word
):
    # given an entry sharing the correctly typed word, which the word fallback alone would also find
    entry = EntryFactory(title=title, body="按流程处理。")
    EntryFactory(title=same_other_word, body="按流程处理。")
    # when
    outcome = search.search_outcome(typo)
    # then only the homophone match is found: what the correctly typed query finds, flagged
    assert [h.entry_id for h in outcome.hits] == [entry.pk]
    assert [h.entry_id for h in search.search(correct)] == [entry.pk]
    assert outcome.fallback is True
    if engine == "postgres":  # corrected from the vocabulary, and said so
        assert correct in outcome.also_searched


def test_a_corrected_typo_searches_the_synonyms_of_the_correct_word():
    # 携号转网 and 转网 are one synonym group: the typo finds what the correct word finds
    entry = EntryFactory(title="携号转网办理条件", body="按流程处理。")
    other = EntryFactory(title="转网后积分清零规则", body="按流程处理。")
    assert {h.entry_id for h in search.search("协号转网")} == {entry.pk, other.pk}


def test_a_typo_is_corrected_only_from_tokens_the_entries_hold():
    # given no entry holds 宽带: 宽代 has no known homophone, nothing is corrected
    EntryFactory(title="电视故障处理", body="按流程处理。")
    outcome = search.search_outcome("宽代")
    assert outcome.hits == [] and outcome.also_searched == []
    # when an entry with 宽带 is indexed, its tokens join the vocabulary at once
    entry = EntryFactory(title="宽带故障报修", body="按流程处理。")
    assert [h.entry_id for h in search.search("宽代")] == [entry.pk]


def test_the_vocabulary_rebuild_drops_tokens_no_entry_holds_and_counts_entries():
    from knowledgebase.models import Entry, SearchToken

    EntryFactory(title="宽带故障报修", body="宽带")
    gone = EntryFactory(title="停机保号办理", body="按流程处理。")
    Entry.objects.filter(pk=gone.pk).delete()
    assert search.vocabulary_rebuild() == SearchToken.objects.count()
    assert (
        SearchToken.objects.get(token="宽带").entries == 1
        and SearchToken.objects.get(token="宽带").pinyin == "kuandai"
    )
    assert not SearchToken.objects.filter(token="保号").exists()
    assert search.search("停机宝号") == []


def test_pinyin_is_not_used_while_the_strict_query_finds_something(engine):
    exact = EntryFactory(title="宽带故障报修", body="重启光猫。")
    EntryFactory(title="宽代故障说明", body="同音的另一个条目。")  # pinyin kuandai guzhang as well
    outcome = search.search_outcome("宽带故障")
    assert [h.entry_id for h in outcome.hits] == [exact.pk]


def test_popular_entries_come_first_among_equal_matches(engine):
    quiet = EntryFactory(title="合约机续约", body="到期前一个月办理。")
    popular = EntryFactory(title="合约机续约", body="到期前一个月办理。")
    type(popular).objects.filter(pk=popular.pk).update(click_count=5)
    ids = [h.entry_id for h in search.search("合约机续约")]
    assert ids == [popular.pk, quiet.pk]


def test_index_fields_hold_toneless_pinyin_of_the_tokens():
    fields = search.index_fields(title="宽带", body="", keywords="")
    assert fields["search_pinyin"].split() == ["kuandai"]


def test_overlapping_pieces_of_one_word_do_not_count_as_two_words(engine):
    # given 吉祥号 (no synonym group) cut into 吉祥 + 祥号: one word, not "two of the words"
    only_the_word = EntryFactory(title="吉祥号选号规则", body="按流程处理。")
    two_words = EntryFactory(title="靓号协议消费规则", keywords="吉祥号", body="签订最低消费协议。")
    outcome = search.search_outcome("吉祥号最低消费")
    assert outcome.fallback is True
    if engine == "postgres":  # SQLite's fallback is "any word", ranked by title hits
        assert [h.entry_id for h in outcome.hits] == [two_words.pk]
    else:
        assert {h.entry_id for h in outcome.hits} == {two_words.pk, only_the_word.pk}


def test_a_title_holding_part_of_the_query_ranks_before_body_only_matches():
    # given both hold 出国 and 流量, one in its title (漫游, a synonym of 出国), the other only in
    # its body but clicked more often
    titled = EntryFactory(
        title="国际漫游日包办理说明", keywords="出国 境外流量", body="按自然日收费。"
    )
    popular = EntryFactory(title="夜间套餐说明", body="出国前可查询流量余额。")
    type(popular).objects.filter(pk=popular.pk).update(click_count=50)
    ids = [h.entry_id for h in search.search("出国流量包")]
    assert ids[:2] == [titled.pk, popular.pk]


def test_the_vocabulary_is_read_only_when_the_strict_query_finds_nothing():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    EntryFactory(title="宽带故障报修", body="按流程处理。")
    search.synonym_map()  # the synonym table is cached per process; read it before counting
    with CaptureQueriesContext(connection) as found:
        assert search.search("宽带故障")
    with CaptureQueriesContext(connection) as typo:
        assert search.search("宽代故障")
    assert not any("searchtoken" in q["sql"] for q in found.captured_queries)
    assert any("searchtoken" in q["sql"] for q in typo.captured_queries)


def test_a_title_that_opens_with_the_query_ranks_before_titles_naming_it_after_a_qualifier(engine):
    # given regional variants clicked often, and the general entry nobody has clicked yet
    general = EntryFactory(title="亲情网成员添加与删除", body="最多十九名成员。")
    regional = [
        EntryFactory(title=f"{city}亲情网88元档续约", body="按档位收费。")
        for city in ("成都", "重庆", "咸宁")
    ]
    type(general).objects.filter(pk__in=[r.pk for r in regional]).update(click_count=40)
    ids = [h.entry_id for h in search.search("亲情网")]
    assert ids[0] == general.pk
    assert set(ids[1:]) == {r.pk for r in regional}


def test_a_title_opening_with_a_synonym_counts_and_a_typo_correction_keeps_the_order():
    # given 电子发票 / 发票 / 开票 are one seeded synonym group
    general = EntryFactory(title="电子发票开具与下载", body="次月五日后开具。")
    regional = EntryFactory(title="鄂州电子发票88元档退费", body="按档位退费。")
    type(general).objects.filter(pk=regional.pk).update(click_count=40)
    assert [h.entry_id for h in search.search("开票")] == [general.pk, regional.pk]
    family = EntryFactory(title="亲情网成员添加与删除", body="最多十九名成员。")
    other = EntryFactory(title="成都亲情网188元档续约", body="按档位收费。")
    type(family).objects.filter(pk=other.pk).update(click_count=40)
    search.vocabulary_rebuild()
    outcome = search.search_outcome("亲情往")  # the homophone typo of 亲情网
    assert [h.entry_id for h in outcome.hits] == [family.pk, other.pk]
    assert outcome.fallback is True


def test_an_unclicked_title_opening_with_a_broad_term_is_found_past_the_popularity_cap(monkeypatch):
    # given more popular titles holding the term than the short-query cap ranks
    monkeypatch.setattr(search, "SHORT_QUERY_CAP", 5)
    popular = [EntryFactory(title=f"城市{i}开票88元档退费", body="按档位退费。") for i in range(8)]
    type(popular[0]).objects.filter(pk__in=[p.pk for p in popular]).update(click_count=30)
    general = EntryFactory(title="开票与报销说明", body="月结发票次月开具。")
    assert search.search("开票")[0].entry_id == general.pk
