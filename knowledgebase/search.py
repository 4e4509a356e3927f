"""Chinese full-text search for the knowledge base.

PostgreSQL (measured, see ARCHITECTURE.md "Findings"): Debian has no zhparser/pg_bigm, and
pg_trgm ignores CJK under LC_CTYPE=C. So the text is tokenised here in Python — jieba
``cut_for_search`` words plus CJK character bigrams plus lower-cased latin/digit words —
stored space-separated in ``search_title``/``search_text`` and turned into a
``tsvector('simple')`` (title weight A, body/keywords weight B) with a GIN index. A query
term becomes a phrase of its bigrams (``携号 <-> 号转 <-> 转网``) OR-ed with its jieba words,
terms are AND-ed; a term is also OR-ed with its synonyms (SynonymGroup, admin-editable).
Title matches are capped before ts_rank orders them (CANDIDATE_CAP, SHORT_QUERY_CAP: see there).
When the strict query finds nothing, fallbacks follow: the same terms with homophone typos
of a pinyin input method corrected from the vocabulary of the index (SearchToken: 宽代 → 宽带,
one indexed lookup per query), then at least two of the words, then any word — flagged
``fallback``. Snippets are highlighted in Python on the few rows returned.

SQLite (embedded demo): a plain icontains AND over the terms and their synonyms, then the
same fallbacks by icontains on the token columns.
"""

import functools
import hashlib
import logging
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html import escape

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from config.cache_versions import MISSING, CacheVersion

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{CJK}]+|[a-z0-9]+")
_CJK_RUN = re.compile(rf"^[{CJK}]+$")
_TERM_SPLIT = re.compile(r"[\s,，;；、。.!！?？:：/|()（）\"'“”‘’]+")

_jieba = None
_jieba_lock = threading.Lock()


def jieba_tokenizer():
    """The process-wide jieba tokenizer, initialised once (loading the dictionary takes
    about a second; its cache goes to the system temp dir, not the repository)."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                _jieba = tokenizer
    return _jieba


def warm_up() -> None:
    """Load jieba's dictionary and pypinyin's tables in this process now. Web processes call
    it when they start (config/wsgi.py, config/asgi.py): otherwise the first request of each
    worker that indexes or searches pays for it — measured on the demo data, the deciding
    approval of a KB revision took 1.3–2.1 s in a fresh worker (jieba ≈ 0.6 s, pypinyin ≈
    0.4 s, more on a busy machine) against 0.09–0.13 s once loaded."""
    pinyin_tokens(tokens("携号转网"))


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def tokens(text: str) -> str:
    """Space-separated search tokens of ``text``: latin/digit words, CJK bigrams (single
    characters stay as they are), then jieba's search words longer than two characters."""
    text = (text or "").lower()
    out: list[str] = []
    words: list[str] = []
    for run in _RUN.findall(text):
        if _CJK_RUN.match(run):
            out.extend(_bigrams(run))
            if len(run) > 2:
                words.extend(
                    w
                    for w in jieba_tokenizer().cut_for_search(run)
                    if len(w) > 2 and _CJK_RUN.match(w)
                )
        else:
            out.append(run)
    return " ".join(out + words)


def pinyin_of(token: str) -> str:
    """Toneless pinyin of a CJK token (宽带 → kuandai), other tokens unchanged. Each character
    takes its default reading, the same for the index and the query, so a homophone typo of a
    pinyin input method gives the same key."""
    if not _CJK_RUN.match(token):
        return token
    return "".join(_char_pinyin(ch) for ch in token)


@functools.lru_cache(maxsize=65536)
def _char_pinyin(ch: str) -> str:
    from pypinyin import lazy_pinyin

    return lazy_pinyin(ch)[0]


def pinyin_tokens(token_text: str) -> str:
    """The pinyin keys of space-separated ``tokens()`` output, position for position."""
    return " ".join(pinyin_of(t) for t in token_text.split())


def index_fields(*, title: str, body: str, keywords: str) -> dict[str, str]:
    """Values of Entry's search token columns for the given content."""
    search_title, search_text = tokens(title), tokens(f"{keywords} {body}")
    return {
        "search_title": search_title,
        "search_text": search_text,
        "search_pinyin": pinyin_tokens(search_title) + " " + pinyin_tokens(search_text),
    }


def vector_expression():
    """SQL expression computing Entry.search_vector from the two token columns."""
    return SearchVector("search_title", config="simple", weight="A") + SearchVector(
        "search_text", config="simple", weight="B"
    )


def vector_updates() -> dict:
    """Entry's search vectors as SQL expressions of its token columns, for update()."""
    return {
        "search_vector": vector_expression(),
        "search_title_vector": SearchVector("search_title", config="simple"),
    }


# Words that carry no topic in what CSRs type ("退款怎么办", "请问携号转网"): the query is split
# at them, so they need not occur in an entry.
STOP_WORDS = [
    "怎么办",
    "怎么样",
    "怎么",
    "如何",
    "为什么",
    "什么",
    "能不能",
    "可不可以",
    "可以吗",
    "是不是",
    "请问",
    "一下",
    "我想",
    "我要",
    "帮我",
    "客户说",
    "客户要",
    "客户",
]
_STOP = re.compile("|".join(STOP_WORDS))
_TRAILING_PARTICLES = re.compile(rf"(?<=[{CJK}])[吗呢啊吧呀么]+$")
MAX_TERMS = 12
MAX_VARIANTS = 6
MAX_WORDS = 8  # of the partial fallback: at most 28 pairs in "at least two of the words"


def query_terms(query: str) -> list[str]:
    """The user's query split into terms (runs of CJK characters or latin/digit words), the
    filler words CSRs type (怎么办, 请问, a trailing 吗) left out."""
    terms: list[str] = []
    for chunk in _TERM_SPLIT.split((query or "").lower()):
        for run in _RUN.findall(chunk):
            pieces = _STOP.split(run) if _CJK_RUN.match(run) else [run]
            for piece in pieces:
                piece = _TRAILING_PARTICLES.sub("", piece)
                if piece and piece not in terms:
                    terms.append(piece)
    if not terms:  # a query made only of filler words still searches for them
        terms = [r for r in _RUN.findall((query or "").lower())]
    return terms[:MAX_TERMS]


def normalise_query(query: str) -> str:
    """The query as logged: lower case, terms separated by one space, punctuation dropped."""
    runs: list[str] = []
    for chunk in _TERM_SPLIT.split((query or "").lower()):
        runs.extend(_RUN.findall(chunk))
    return " ".join(runs)[:100]


def _term_piece(term: str, *, typed: bool = True) -> str:
    """tsquery of one term: a CJK phrase of its bigrams (or its jieba word), a prefix otherwise."""
    if _CJK_RUN.match(term):
        if len(term) == 1:
            return f"{term}:*"
        phrase = " <-> ".join(_bigrams(term))
        longer = [w for w in jieba_tokenizer().cut_for_search(term) if len(w) > 2 and w == term]
        alternatives = [phrase] + longer[:1]
        # A term typed without spaces (携号转网条件) also matches when its words are apart
        # (携号转网办理条件) — only as typed (not for synonyms), and only when every word has
        # two or more characters, so no character of the term is dropped.
        pieces = list(jieba_tokenizer().cut(term)) if typed else []
        if len(pieces) >= 2 and all(len(p) >= 2 for p in pieces):
            alternatives.append(
                "(" + " & ".join(f"({' <-> '.join(_bigrams(p))})" for p in pieces) + ")"
            )
        return " | ".join(alternatives)
    return f"{term}:*"


def tsquery(query: str) -> str | None:
    """A to_tsquery('simple', …) string for ``query`` without synonyms; None when it has no
    searchable term. Tokens contain only CJK characters or [a-z0-9], so nothing needs quoting."""
    parts = []
    for term in query_terms(query):
        piece = _term_piece(term)
        parts.append(piece if piece.endswith(":*") else f"({piece})")
    return " & ".join(parts) if parts else None


# --- homophone typos: the search vocabulary ----------------------------------------------

_CJK_BIGRAM = re.compile(rf"^[{CJK}]{{2}}$")


def vocabulary_tokens(token_text: str) -> set[str]:
    """The two-character CJK tokens of space-separated ``tokens()`` output."""
    return {t for t in token_text.split() if _CJK_BIGRAM.match(t)}


def vocabulary_add(token_texts: Iterable[str]) -> None:
    """Add the bigrams of newly indexed text to the vocabulary (PostgreSQL only). Counts
    stay as they are until the nightly rebuild: they only order corrections."""
    from knowledgebase.models import SearchToken

    if not settings.IS_POSTGRES:
        return
    found: set[str] = set()
    for text in token_texts:
        found |= vocabulary_tokens(text)
    SearchToken.objects.bulk_create(
        [SearchToken(token=t, pinyin=pinyin_of(t)) for t in sorted(found)],
        ignore_conflicts=True,
        batch_size=2000,
    )


def vocabulary_rebuild() -> int:
    """Rebuild the vocabulary from every entry's search vector with exact counts (PostgreSQL
    only; ts_stat reads the vectors once: about a second per 100,000 entries). Returns the
    number of tokens. Readers keep the old vocabulary until the transaction commits."""
    from knowledgebase.models import SearchToken

    if not settings.IS_POSTGRES:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT word, ndoc FROM ts_stat('SELECT search_vector FROM knowledgebase_entry')"
        )
        rows = [
            SearchToken(token=word, pinyin=pinyin_of(word), entries=count)
            for word, count in cursor.fetchall()
            if _CJK_BIGRAM.match(word)
        ]
    with transaction.atomic(), connection.cursor() as cursor:
        # Two rebuilds at once run one after the other (the second would otherwise insert
        # what the first committed); an entry being indexed meanwhile waits for the commit.
        cursor.execute(f"LOCK TABLE {SearchToken._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
        SearchToken.objects.all().delete()
        SearchToken.objects.bulk_create(rows, batch_size=5000)
    results_stale()  # typo corrections may differ
    return len(rows)


class TypoCorrector:
    """Corrects homophone typos of a pinyin input method with one vocabulary lookup for all
    the strings of a query: a bigram the vocabulary lacks whose toneless pinyin belongs to a
    known token is replaced by that token (宽代 → 宽带; of several, the one sharing a character
    with the typed bigram, then the most frequent). A correction is only an extra variant:
    what was typed is always searched too. Nothing is corrected on SQLite (no vocabulary;
    the plain-matching path compares pinyin instead) or when the vocabulary is empty."""

    def __init__(self, strings: Iterable[str]):
        from knowledgebase.models import SearchToken

        self.known: set[str] = set()
        self.twins: dict[str, list[tuple[int, str]]] = {}
        bigrams = {b for s in strings if _CJK_RUN.match(s) and len(s) >= 2 for b in _bigrams(s)}
        if not bigrams or not settings.IS_POSTGRES:
            return
        rows = SearchToken.objects.filter(
            Q(token__in=bigrams) | Q(pinyin__in={pinyin_of(b) for b in bigrams})
        ).values_list("token", "pinyin", "entries")
        for token, key, count in rows:
            self.known.add(token)
            self.twins.setdefault(key, []).append((count, token))

    def correct(self, text: str) -> str:
        """``text`` with its unknown bigrams replaced by known homophones (``text`` itself
        when there is nothing to correct)."""
        if not self.twins or not _CJK_RUN.match(text) or len(text) < 2:
            return text
        chars = list(text)
        for i in range(len(chars) - 1):
            typed = chars[i] + chars[i + 1]
            candidates = [] if typed in self.known else self.twins.get(pinyin_of(typed), [])
            if candidates:
                _count, best = max(
                    candidates, key=lambda c: (c[1][0] == typed[0] or c[1][1] == typed[1], c)
                )
                chars[i : i + 2] = list(best)
        return "".join(chars)


# --- synonyms (admin-editable data, cached in the process) --------------------------------

_synonyms: dict = {"version": None, "map": {}}
_synonyms_lock = threading.Lock()


def synonym_map() -> dict[str, list[str]]:
    """term → the other terms of its synonym groups. Reloaded when the version key in the
    shared cache changes (SynonymGroup.save/delete bump it), so every process sees an edit at
    its next search."""
    from knowledgebase.models import SYNONYMS_VERSION, SynonymGroup

    version = SYNONYMS_VERSION.current()
    if _synonyms["version"] != version:
        with _synonyms_lock:
            mapping: dict[str, list[str]] = {}
            for group in SynonymGroup.objects.only("terms"):
                members = group.term_list()
                for term in members:
                    others = mapping.setdefault(term, [])
                    others.extend(m for m in members if m != term and m not in others)
            _synonyms["map"], _synonyms["version"] = mapping, version
    return _synonyms["map"]


def term_variants(term: str, synonyms: dict[str, list[str]]) -> list[str]:
    """``term`` and what it becomes with a synonym in place of a synonym it contains
    (退款申请 → 退费申请, 返还申请), the term itself first, at most MAX_VARIANTS."""
    variants = [term]
    matched: list[str] = []
    for word in sorted(synonyms, key=len, reverse=True):
        # 携号转网 holds the synonym 转网 too; only the longest synonym is replaced.
        if word in term and not any(word in longer for longer in matched):
            matched.append(word)
            for other in synonyms[word]:
                variant = term.replace(word, other)
                if variant not in variants:
                    variants.append(variant)
    return variants[:MAX_VARIANTS]


def term_words(term: str, synonyms: dict[str, list[str]] | None = None) -> list[str]:
    """The words of a term for the partial fallback: jieba words of two or more characters,
    the synonyms the term contains, and for characters jieba leaves alone the bigrams they
    form with their neighbours (手机卡丢了 → 手机 机卡 卡丢 丢了), so a colloquial phrasing still
    shares words with the entry."""
    if not _CJK_RUN.match(term) or len(term) <= 2:
        return [term]
    pieces = list(jieba_tokenizer().cut(term))
    words: list[str] = []

    def add(word: str) -> None:
        if word not in words:
            words.append(word)

    position = 0
    for piece in pieces:
        if len(piece) >= 2:
            add(piece)
        else:
            if position > 0:
                add(term[position - 1 : position + 1])
            if position + 1 < len(term):
                add(term[position : position + 2])
        position += len(piece)
    # A synonym inside the term replaces the words it covers (携号转网条件: 携号转网 and 条件,
    # not 携号 and 转网 — two words of one synonym would always count as "two words matched").
    for word in sorted(synonyms or {}, key=len, reverse=True):
        if len(word) >= 2 and word in term and word != term and not any(word in w for w in words):
            words = [w for w in words if w not in word]
            words.append(word)
    return words or [term]


@dataclass
class SearchHit:
    entry_id: int
    title: str
    category: str
    version: int
    title_html: SafeString
    snippet_html: SafeString


@functools.lru_cache(maxsize=512)
def _terms_pattern(terms: tuple[str, ...]) -> re.Pattern:
    """One alternation of the terms, longest first (built once per set of terms, not per hit)."""
    return re.compile(
        "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE
    )


def highlight(text: str, terms: list[str]) -> SafeString:
    """``text`` escaped, with every occurrence of a term wrapped in <mark>."""
    if not terms:
        return mark_safe(escape(text))
    pattern = _terms_pattern(tuple(terms))
    out, last = [], 0
    for m in pattern.finditer(text):
        out.append(escape(text[last : m.start()]))
        out.append(f"<mark>{escape(m.group(0))}</mark>")
        last = m.end()
    out.append(escape(text[last:]))
    return mark_safe("".join(out))


def snippet(text: str, terms: list[str], width: int = 90) -> SafeString:
    """About ``width`` characters of ``text`` around the first matching term, highlighted."""
    lowered = text.lower()
    positions = [p for p in (lowered.find(t) for t in terms) if p >= 0]
    start = max(min(positions) - width // 3, 0) if positions else 0
    piece = text[start : start + width]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(text) else ""
    return mark_safe(prefix + highlight(piece, terms) + suffix)


# Ranking without reading every match's full vector: a term like 合约 or a 1–2 character prefix
# matches a third of a large knowledge base, and ts_rank over the body vectors of 36,000 rows
# took ~200 ms. So ranking uses the small title vector only (stored inline, migration 0006):
# first the entries whose TITLE holds the query — those whose title opens with it (or with a
# synonym or correction of its first term) before the others: a title names its subject first,
# and one that names it after a qualifier (a region, a plan tier: 成都亲情网188元档续约) is a
# variant of the subject (亲情网成员添加与删除) — then by ts_rank normalised by title length (a
# short title that is mostly the query is the most specific entry), then popularity (clicks),
# then the newest; then, to fill the page, entries matching only in keywords/body, by popularity.
# The title matches ranked are capped (measured with manage.py bench_kb_search, README):
# - a short query (one term of one or two characters: what "results as you type" sends first)
#   takes the SHORT_QUERY_CAP most clicked matches — PostgreSQL walks the kb_entry_popularity
#   index and stops after that many when the term is frequent, or reads the GIN index when rare;
# - a longer query takes the CANDIDATE_CAP shortest titles (kb_entry_title_length), the ones
#   the length-normalised rank favours, so the cap rarely changes the first page;
# - the titles that open with the query are a candidate set of their own (kb_entry_title_prefix,
#   a pattern index on lower(title)), LEADING_CAP of them, so an entry nobody has clicked yet
#   is not lost behind hundreds of popular titles that only contain the term.
# (RUM, which orders by rank inside the index, is not available on managed PostgreSQL.)
CANDIDATE_CAP = 1000
SHORT_QUERY_CAP = 200
LEADING_CAP = 50  # titles opening with the query considered (the most clicked, or the shortest)
ELSEWHERE_CAP = 300  # body-only matches considered for the rest of a page (see _pg_page)
TITLE_LENGTH_NORMALISATION = 2  # ts_rank flag: divide by the title's token count


@dataclass
class _Plan:
    """One search attempt: how rows are filtered and ranked."""

    condition: object  # a tsquery string (PostgreSQL) or a Q (SQLite)
    short: bool = False  # one term of one or two characters
    partial: str = ""  # PostgreSQL: any one of the terms or words, for "the title holds part of it"
    leading: list[str] = field(default_factory=list)  # titles opening with one of these rank first
    single_term: bool = False  # the query is one term (its variants are ``leading``)


def _opens_with(leading: list[str]) -> Q:
    """Rows whose lower-cased title (annotation ``title_lower``) opens with one of ``leading``."""
    condition = Q()
    for variant in leading:
        condition |= Q(title_lower__startswith=variant)
    return condition


def _with_leads(rows: QuerySet, leading: list[str]) -> QuerySet:
    """``rows`` annotated with ``leads``: 1 when the title opens with one of ``leading``."""
    if not leading:
        return rows.annotate(leads=Value(0, output_field=IntegerField()))
    return rows.annotate(title_lower=Lower("title")).annotate(
        leads=Case(
            When(_opens_with(leading), then=Value(1)), default=Value(0), output_field=IntegerField()
        )
    )


_TABLE = '"knowledgebase_entry"'
_TITLE_LENGTH_ORDER = f'LENGTH({_TABLE}."title"), {_TABLE}."click_count" DESC, {_TABLE}."id" DESC'
_POPULAR_ORDER = f'{_TABLE}."click_count" DESC, {_TABLE}."id" DESC'
_LIKE_ESCAPE = re.compile(r"([%_\\])")


@dataclass
class _Scope:
    """The entries a search may show, as one SQL condition on the entry table compiled once
    per search from the queryset (``Entry.objects.not_retired().effective()`` …), so that rule
    keeps its one home in the model's manager."""

    where: str
    params: list

    @classmethod
    def of(cls, entries: QuerySet) -> "_Scope":
        query = entries.query
        if len(query.alias_map) > 1 or query.where.contains_aggregate:
            # A filter through a relation: keep it as a subquery rather than guess at aliases.
            sql, params = entries.values("pk").query.sql_with_params()
            return cls(f'{_TABLE}."id" IN ({sql})', list(params))
        sql, params = query.get_compiler(connection=connection).compile(query.where)
        return cls(sql or "TRUE", list(params))


def _opens_with_sql(leading: list[str]) -> tuple[str, list[str]]:
    """SQL true when the lower-cased title opens with one of ``leading`` (one LIKE per variant,
    so the planner can use the kb_entry_title_prefix pattern index)."""
    patterns = [_LIKE_ESCAPE.sub(r"\\\1", v.lower()) + "%" for v in leading]
    sql = " OR ".join([f'LOWER({_TABLE}."title")::text LIKE %s'] * len(patterns))
    return f"({sql})", patterns


def _ranked_ids(sql: str, params: list, count: int) -> tuple[list[int], int]:
    """Ids of the ``count`` best rows of the candidate query ``sql`` (columns id, leads, rank,
    click_count) — a title that opens with the query first, then rank, then clicks, then
    newest — and how many candidates there were, in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.id, count(*) OVER () FROM ({sql}) AS c "  # noqa: S608 - no user text in sql
            "ORDER BY c.leads DESC, c.rank DESC, c.click_count DESC, c.id DESC LIMIT %s",
            (*params, count),
        )
        rows = cursor.fetchall()
    return [pk for pk, _total in rows], rows[0][1] if rows else 0


def _not_in(ids: list[int]) -> tuple[str, list]:
    if not ids:
        return "", []
    return f' AND NOT ({_TABLE}."id" = ANY(%s))', [list(ids)]


def _pg_page(scope: _Scope, plan: _Plan, offset: int, limit: int) -> tuple[list[int], bool]:
    """Ids of one page of matches best first, and whether anything matched at all.

    The statements are written in SQL rather than built with the ORM: a search that falls
    back runs up to a dozen of them, and building and compiling the querysets cost more
    than the database's own work (profiled: 60 % of a fallback search's CPU)."""
    wanted = offset + limit
    query = "to_tsquery('simple'::regconfig, %s)"
    rank = f'ts_rank({_TABLE}."search_title_vector", {query}, {TITLE_LENGTH_NORMALISATION})'
    if plan.leading:
        opens, opens_params = _opens_with_sql(plan.leading)
        leads, leads_params = f"CASE WHEN {opens} THEN 1 ELSE 0 END", opens_params
    else:
        leads, leads_params = "0", []

    def candidates(condition: str, condition_params: list, order: str, cap: int):
        sql = (
            f'SELECT {_TABLE}."id", {leads} AS leads, {rank} AS rank, '
            f'{_TABLE}."click_count" FROM {_TABLE} WHERE {scope.where} AND {condition} '
            f"ORDER BY {order} LIMIT %s"
        )
        return sql, [*leads_params, plan.condition, *scope.params, *condition_params, cap]

    in_title_vector = f'{_TABLE}."search_title_vector" @@ {query}'
    if plan.short:
        cap, order = SHORT_QUERY_CAP, _POPULAR_ORDER
    else:
        cap, order = CANDIDATE_CAP, _TITLE_LENGTH_ORDER
    in_title, title_matches = _ranked_ids(
        *candidates(in_title_vector, [plan.condition], order, cap), wanted
    )
    if plan.leading and title_matches >= cap:
        # The cap cut the title matches: titles that open with the query may lie beyond it.
        # They are a candidate set of their own (LEADING_CAP of them, same order). With one
        # term, a title that opens with it holds it, so the text condition is left out and the
        # planner estimates the prefix alone (from the index's statistics): it walks the
        # popularity index for a broad prefix instead of fetching every title that opens with
        # it (仙桃: 3,300 rows at 100,000 entries).
        if plan.single_term:
            condition, condition_params = opens, opens_params
        else:
            condition = f"{in_title_vector} AND {opens}"
            condition_params = [plan.condition, *opens_params]
        first = _ranked_ids(*candidates(condition, condition_params, order, LEADING_CAP), wanted)[0]
        seen = set(first)
        in_title = (first + [pk for pk in in_title if pk not in seen])[:wanted]
    if len(in_title) < wanted and plan.partial and not plan.short:
        # Next, entries that match in full while their title holds part of the query (the
        # title names 漫游, the keywords 出国 and 流量), ranked the same way on that part.
        excluded, excluded_params = _not_in(in_title)
        sql = (
            f'SELECT {_TABLE}."id", 0 AS leads, {rank} AS rank, {_TABLE}."click_count" '
            f'FROM {_TABLE} WHERE {scope.where} AND {_TABLE}."search_vector" @@ {query} '
            f"AND {in_title_vector}{excluded} ORDER BY {_TITLE_LENGTH_ORDER} LIMIT %s"
        )
        params = [plan.partial, *scope.params, plan.condition, plan.partial, *excluded_params]
        in_title += _ranked_ids(sql, [*params, CANDIDATE_CAP], wanted - len(in_title))[0]
    ids = in_title
    if len(in_title) < wanted:
        # Reached only when every title match is on this page, so excluding them is exact.
        # A short query whose title matches filled the cap is a broad term: walking the
        # popularity index finds its most clicked body matches at once. Anything else —
        # a rare short term (复机: at 1,000,000 entries the walk read every row, 3 s), a
        # longer query, an OR of the fallback's words — is ordered after a bitmap scan.
        # Body-only matches of a broad OR (the fallback's words) can be thousands; sorting
        # them all by popularity visited every matching row (~9 ms for 3,000). The page's
        # tail is then filled from the first ELSEWHERE_CAP matches, by popularity.
        excluded, excluded_params = _not_in(in_title)
        matching = f'{scope.where} AND {_TABLE}."search_vector" @@ {query}{excluded}'
        matching_params = [*scope.params, plan.condition, *excluded_params]
        if plan.short and title_matches >= SHORT_QUERY_CAP:
            sql = (
                f'SELECT {_TABLE}."id" FROM {_TABLE} WHERE {matching} '
                f"ORDER BY {_POPULAR_ORDER} LIMIT %s"
            )
            params = [*matching_params, wanted - len(in_title)]
        else:
            sql = (
                f'SELECT e."id" FROM {_TABLE} AS e WHERE e."id" IN ('
                f'SELECT {_TABLE}."id" FROM {_TABLE} WHERE {matching} LIMIT %s) '
                'ORDER BY (e."click_count" + 0) DESC, e."id" DESC LIMIT %s'
            )
            params = [*matching_params, ELSEWHERE_CAP, wanted - len(in_title)]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids = in_title + [pk for (pk,) in cursor.fetchall()]
    return ids[offset:wanted], bool(ids)


@dataclass
class _Row:
    pk: int
    title: str
    body: str
    version: int
    category_name: str


def _pg_rows(ids: list[int]) -> list[_Row]:
    """The entries of ``ids`` for the hits, in that order (one statement)."""
    if not ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT e."id", e."title", e."body", e."version", c."name" FROM {_TABLE} AS e '
            'JOIN "knowledgebase_category" AS c ON c."id" = e."category_id" WHERE e."id" = ANY(%s)',
            [list(ids)],
        )
        by_id = {row[0]: _Row(*row) for row in cursor.fetchall()}
    return [by_id[i] for i in ids if i in by_id]


def _sqlite_ranked(entries: QuerySet, plan: _Plan, title_terms: list[str]) -> QuerySet:
    title_hit = Q()
    for term in title_terms:
        title_hit |= Q(title__icontains=term)
    return (
        _with_leads(entries.filter(plan.condition), plan.leading)
        .annotate(
            rank=Case(When(title_hit, then=Value(1)), default=Value(0), output_field=IntegerField())
        )
        .order_by("-leads", "-rank", "-click_count", "title", "pk")
    )


def _any_of(pieces: list[str]) -> str:
    return " | ".join(f"({p})" for p in pieces)


def _at_least_two(groups: list[str], spans: list[tuple[int, int, int]]) -> str:
    """tsquery matching rows that contain at least two of the (already parenthesised) groups
    that do not overlap in the query: 吉祥 and 祥号 of 吉祥号 are one word, not two."""

    def apart(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
        return a[0] != b[0] or a[2] <= b[1] or b[2] <= a[1]

    pairs = [
        f"({groups[i]} & {groups[j]})"
        for i in range(len(groups))
        for j in range(i + 1, len(groups))
        if apart(spans[i], spans[j])
    ]
    return " | ".join(pairs)


def _sqlite_contains(variants: list[str], pinyin: bool) -> Q:
    condition = Q()
    for v in variants:
        if pinyin:
            key = " ".join(pinyin_of(b) for b in _bigrams(v)) if _CJK_RUN.match(v) else v
            condition |= Q(search_pinyin__icontains=key)
        else:
            condition |= Q(title__icontains=v) | Q(keywords__icontains=v) | Q(body__icontains=v)
    return condition


@dataclass
class Interpretation:
    """How a query is searched: its terms, each with its synonym variants, the same with
    homophone typos corrected, and the words of the partial fallback."""

    terms: list[str]
    variants: list[list[str]]  # per term, the term first
    words: list[
        list[str]
    ]  # per word of the fallback, the word, its synonyms (and its correction, once made)
    spans: list[tuple[int, int, int]] = field(
        default_factory=list
    )  # per word: (term index, start, end)
    synonyms: dict[str, list[str]] = field(default_factory=dict)
    corrected: list[list[str]] = field(
        default_factory=list
    )  # per term: variants after correction; [] when none

    def correct_typos(self) -> None:
        """Look the terms and words up in the vocabulary (one query) and add their corrected
        forms: ``corrected`` per term, the corrected word to each word's group. Called only
        when the strict query found nothing."""
        corrector = TypoCorrector(self.terms + [ws[0] for ws in self.words])
        corrected = []
        for term in self.terms:
            fixed = corrector.correct(term)
            corrected.append(term_variants(fixed, self.synonyms) if fixed != term else [])
        self.corrected = corrected if any(corrected) else []
        for group in self.words:
            fixed = corrector.correct(group[0])
            if fixed != group[0]:
                group.extend(v for v in term_variants(fixed, self.synonyms) if v not in group)
                del group[MAX_VARIANTS:]

    @property
    def also_searched(self) -> list[str]:
        """The synonyms and corrections searched besides what was typed ("also searched: 退费")."""
        out: list[str] = []
        for variants in self.variants + self.corrected:
            out.extend(v for v in variants if v not in self.terms and v not in out)
        return out

    @property
    def highlight_terms(self) -> list[str]:
        out = {v for vs in self.variants + self.corrected for v in vs} | {
            w for ws in self.words for w in ws
        }
        return sorted(out, key=len, reverse=True)

    def plans(self) -> Iterator[tuple[_Plan, bool]]:
        """The attempts in order, each with whether it is a fallback: strict (every term, with
        synonyms), then — only while nothing was found, so a generator — the same with
        homophone typos corrected (PostgreSQL, from the vocabulary; SQLite compares pinyin),
        at least two of the words, then any word."""
        postgres = settings.IS_POSTGRES
        short = len(self.terms) == 1 and len(self.terms[0]) <= 2
        if postgres:

            def all_terms(variant_lists: list[list[str]]) -> str:
                # Synonyms are matched as phrases only: 号码携带 must not match 号码 … 携带 apart.
                return " & ".join(
                    f"({_any_of([_term_piece(v, typed=i == 0) for i, v in enumerate(vs)])})"
                    for vs in variant_lists
                )

            def any_term(variant_lists: list[list[str]]) -> str:
                return " | ".join(
                    f"({_any_of([_term_piece(v, typed=False) for v in vs])})"
                    for vs in variant_lists
                )

            partial = any_term(self.variants) if len(self.terms) > 1 else ""
            yield (
                _Plan(
                    all_terms(self.variants),
                    short=short,
                    partial=partial,
                    leading=self.variants[0],
                    single_term=len(self.terms) == 1,
                ),
                False,
            )
            self.correct_typos()
            if self.corrected:
                fixed = [c or vs for c, vs in zip(self.corrected, self.variants, strict=True)]
                partial = any_term(fixed) if len(self.terms) > 1 else ""
                yield (
                    _Plan(
                        all_terms(fixed),
                        short=short,
                        partial=partial,
                        leading=fixed[0],
                        single_term=len(self.terms) == 1,
                    ),
                    True,
                )
        else:
            strict, typo = Q(), Q()
            for vs in self.variants:
                strict &= _sqlite_contains(vs, pinyin=False)
                typo &= _sqlite_contains(vs, pinyin=True)
            yield _Plan(strict, leading=self.variants[0]), False
            yield _Plan(typo), True
        if len(self.words) >= 2 or (self.words and self.words[0][0] not in self.terms):
            if postgres:
                groups = [
                    f"({_any_of([_term_piece(w, typed=False) for w in ws])})" for ws in self.words
                ]
                two = _at_least_two(groups, self.spans) if len(self.words) >= 2 else ""
                if two:
                    yield _Plan(two, partial=" | ".join(groups)), True
                yield _Plan(" | ".join(groups)), True
            else:
                anyword, anysound = Q(), Q()
                for ws in self.words:
                    anyword |= _sqlite_contains(ws, pinyin=False)
                    anysound |= _sqlite_contains(ws, pinyin=True)
                yield _Plan(anyword), True
                yield _Plan(anysound), True


def interpret(query: str) -> Interpretation | None:
    """The terms, synonym variants and fallback words of ``query`` (typo corrections are looked
    up by ``plans()`` when needed); None when nothing is searchable."""
    terms = query_terms(query)
    if not terms:
        return None
    synonyms = synonym_map()
    variants = [term_variants(t, synonyms) for t in terms]
    plain_words: list[str] = []
    spans: list[tuple[int, int, int]] = []
    for index, term in enumerate(terms):
        for word in term_words(term, synonyms):
            if word not in plain_words:
                plain_words.append(word)
                start = max(term.find(word), 0)
                spans.append((index, start, start + len(word)))
    plain_words, spans = plain_words[:MAX_WORDS], spans[:MAX_WORDS]
    words = [term_variants(word, synonyms) for word in plain_words]
    return Interpretation(
        terms=terms, variants=variants, words=words, spans=spans, synonyms=synonyms
    )


@dataclass
class SearchOutcome:
    hits: list["SearchHit"] = field(default_factory=list)
    also_searched: list[str] = field(default_factory=list)
    fallback: bool = False


def search_outcome(
    query: str,
    *,
    category_ids: set[int] | None = None,
    limit: int = 20,
    offset: int = 0,
    effective_only: bool = True,
) -> SearchOutcome:
    """Entries matching ``query`` best first, with the synonyms also searched and whether
    only the fallback (typos, some of the words) found them."""
    from knowledgebase.models import Entry

    interpretation = interpret(query)
    if interpretation is None:
        return SearchOutcome()
    entries = Entry.objects.not_retired()  # a retired entry is never a search result
    if effective_only:
        entries = entries.effective()
    if category_ids:
        entries = entries.filter(category_id__in=category_ids)
    rows: list[_Row] = []
    fallback = False
    scope = _Scope.of(entries) if settings.IS_POSTGRES else None
    for plan, is_fallback in interpretation.plans():
        if scope is not None:
            ids, matched = _pg_page(scope, plan, offset, limit)
            rows = _pg_rows(ids)
        else:
            ranked = _sqlite_ranked(
                entries, plan, [v for vs in interpretation.variants for v in vs]
            )
            page = ranked.values_list("pk", "title", "body", "version", "category__name")
            rows = [_Row(*values) for values in page[offset : offset + limit]]
            matched = bool(rows) or (offset and ranked.exists())
        if rows:
            fallback = is_fallback
            break
        if matched:  # a page past the end of a query that does match
            break
    terms = interpretation.highlight_terms
    hits = [
        SearchHit(
            entry_id=e.pk,
            title=e.title,
            category=e.category_name,
            version=e.version,
            title_html=highlight(e.title, terms),
            snippet_html=snippet(e.body, terms),
        )
        for e in rows
    ]
    return SearchOutcome(hits=hits, also_searched=interpretation.also_searched, fallback=fallback)


# --- the result cache of the pages and the API ------------------------------------------

# Bumped by every change a search can show: an entry or category saved or deleted (signals in
# knowledgebase.apps), a re-index, a synonym group edited, the vocabulary rebuilt. Clicks (an
# update() of click_count) do not bump it: popularity may lag by settings.KB_SEARCH_CACHE_SECONDS.
RESULTS_VERSION = CacheVersion("kb:search:results:version")


def results_stale(**_signal_kwargs) -> None:
    """Every cached search result is stale from now on (usable as a signal receiver)."""
    RESULTS_VERSION.bump()


def search_outcome_cached(
    query: str,
    *,
    category_ids: set[int] | None = None,
    limit: int = 20,
    offset: int = 0,
) -> SearchOutcome:
    """``search_outcome`` of the entries in force today, through the shared cache: many CSRs
    type the same few words in a busy hour (宽带, 携号转网), and the answer only changes when
    the knowledge base does. The key is what the result depends on — the query's terms (not
    its spelling: 携号转网怎么办 and 携号转网 are one search), the categories, the page, the day
    (an entry comes into force at midnight) and RESULTS_VERSION. Benchmarks of the search
    itself call ``search_outcome``."""
    seconds = settings.KB_SEARCH_CACHE_SECONDS
    if seconds <= 0:
        return search_outcome(query, category_ids=category_ids, limit=limit, offset=offset)
    terms = query_terms(query)
    if not terms:
        return SearchOutcome()
    signature = repr(
        (terms, sorted(category_ids or ()), limit, offset, timezone.localdate().isoformat())
    )
    digest = hashlib.blake2b(signature.encode(), digest_size=16).hexdigest()
    key = f"kb:search:{digest}"
    version, outcome = RESULTS_VERSION.read(key)
    if outcome is MISSING:
        outcome = search_outcome(query, category_ids=category_ids, limit=limit, offset=offset)
        RESULTS_VERSION.keep(key, version, outcome, seconds)
    return outcome


def search(
    query: str,
    *,
    category_ids: set[int] | None = None,
    limit: int = 20,
    offset: int = 0,
    effective_only: bool = True,
) -> list[SearchHit]:
    """Entries matching ``query`` best first, as hits with highlighted title and snippet."""
    return search_outcome(
        query, category_ids=category_ids, limit=limit, offset=offset, effective_only=effective_only
    ).hits
