"""Chinese full-text search for the knowledge base.

PostgreSQL (measured, see ARCHITECTURE.md "Findings"): Debian has no zhparser/pg_bigm, and
pg_trgm ignores CJK under LC_CTYPE=C. So the text is tokenised here in Python — jieba
``cut_for_search`` words plus CJK character bigrams plus lower-cased latin/digit words —
stored space-separated in ``search_title``/``search_text`` and turned into a
``tsvector('simple')`` (title weight A, body/keywords weight B) with a GIN index. A query
term becomes a phrase of its bigrams (``携号 <-> 号转 <-> 转网``) OR-ed with its jieba words,
terms are AND-ed; a term is also OR-ed with its synonyms (SynonymGroup, admin-editable).
Matches are capped to the CANDIDATE_CAP most clicked before ts_rank orders them (see there).
When the strict query finds nothing, fallbacks follow: the same terms by toneless pinyin
(``search_pinyin_vector``, a homophone typo 宽代 finds 宽带), then at least two of the words,
then any word — flagged ``fallback``. Snippets are highlighted in Python on the few rows returned.

SQLite (embedded demo): a plain icontains AND over the terms and their synonyms, then the
same fallbacks by icontains on the token columns.
"""

import functools
import logging
import re
import threading
from dataclasses import dataclass, field
from html import escape

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db.models import Case, F, IntegerField, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Length
from django.utils.safestring import SafeString, mark_safe

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
                words.extend(w for w in jieba_tokenizer().cut_for_search(run) if len(w) > 2 and _CJK_RUN.match(w))
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
    pinyin_title = pinyin_tokens(search_title)
    return {"search_title": search_title, "search_text": search_text, "search_pinyin_title": pinyin_title,
            "search_pinyin": pinyin_title + " " + pinyin_tokens(search_text)}


def vector_expression():
    """SQL expression computing Entry.search_vector from the two token columns."""
    return SearchVector("search_title", config="simple", weight="A") + SearchVector(
        "search_text", config="simple", weight="B"
    )


def pinyin_vector_expression():
    """SQL expression computing Entry.search_pinyin_vector (unweighted: ranking uses the
    title vectors)."""
    return SearchVector("search_pinyin", config="simple")


def vector_updates() -> dict:
    """Entry's four search vectors as SQL expressions of its token columns, for update()."""
    return {"search_vector": vector_expression(), "search_pinyin_vector": pinyin_vector_expression(),
            "search_title_vector": SearchVector("search_title", config="simple"),
            "search_pinyin_title_vector": SearchVector("search_pinyin_title", config="simple")}


# Words that carry no topic in what CSRs type ("退款怎么办", "请问携号转网"): the query is split
# at them, so they need not occur in an entry.
STOP_WORDS = ["怎么办", "怎么样", "怎么", "如何", "为什么", "什么", "能不能", "可不可以", "可以吗", "是不是", "请问",
              "一下", "我想", "我要", "帮我", "客户说", "客户要", "客户"]
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
            alternatives.append("(" + " & ".join(f"({' <-> '.join(_bigrams(p))})" for p in pieces) + ")")
        return " | ".join(alternatives)
    return f"{term}:*"


def _pinyin_piece(term: str) -> str:
    if _CJK_RUN.match(term):
        if len(term) == 1:
            return f"{pinyin_of(term)}:*"
        return " <-> ".join(pinyin_of(b) for b in _bigrams(term))
    return f"{term}:*"


def tsquery(query: str) -> str | None:
    """A to_tsquery('simple', …) string for ``query`` without synonyms; None when it has no
    searchable term. Tokens contain only CJK characters or [a-z0-9], so nothing needs quoting."""
    parts = []
    for term in query_terms(query):
        piece = _term_piece(term)
        parts.append(piece if piece.endswith(":*") else f"({piece})")
    return " & ".join(parts) if parts else None


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


def highlight(text: str, terms: list[str]) -> SafeString:
    """``text`` escaped, with every occurrence of a term wrapped in <mark>."""
    if not terms:
        return mark_safe(escape(text))
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
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
# first the entries whose TITLE holds the query, by ts_rank normalised by title length (a short
# title that is mostly the query is the most specific entry), then popularity (clicks), then the
# newest; then, to fill the page, entries matching only in keywords/body, by popularity.
# The title matches ranked are capped (measured with manage.py bench_kb_search, README):
# - a short query (one term of one or two characters: what "results as you type" sends first)
#   takes the SHORT_QUERY_CAP most clicked matches — PostgreSQL walks the kb_entry_popularity
#   index and stops after that many when the term is frequent, or reads the GIN index when rare;
# - a longer query takes the CANDIDATE_CAP shortest titles (kb_entry_title_length), the ones
#   the length-normalised rank favours, so the cap rarely changes the first page.
# (RUM, which orders by rank inside the index, is not available on managed PostgreSQL.)
CANDIDATE_CAP = 1000
SHORT_QUERY_CAP = 200
ELSEWHERE_CAP = 300  # body-only matches considered for the rest of a page (see _pg_page)
TITLE_LENGTH_NORMALISATION = 2  # ts_rank flag: divide by the title's token count


@dataclass
class _Plan:
    """One search attempt: how rows are filtered and ranked."""

    condition: object  # a tsquery string (PostgreSQL) or a Q (SQLite)
    pinyin: bool = False
    short: bool = False  # one term of one or two characters


def _pg_page(entries: QuerySet, plan: _Plan, offset: int, limit: int) -> tuple[list[int], bool]:
    """Ids of one page of matches best first, and whether anything matched at all."""

    if plan.pinyin:
        title_column, column = "search_pinyin_title_vector", "search_pinyin_vector"
    else:
        title_column, column = "search_title_vector", "search_vector"
    ts_query = SearchQuery(plan.condition, config="simple", search_type="raw")
    wanted = offset + limit
    rank = SearchRank(F(title_column), ts_query, normalization=Value(TITLE_LENGTH_NORMALISATION))
    matches = entries.filter(**{title_column: ts_query}).annotate(rank=rank)
    if plan.short:
        candidates = matches.order_by("-click_count", "-id")[:SHORT_QUERY_CAP]
    else:
        candidates = matches.order_by(Length("title"), "-click_count", "-id")[:CANDIDATE_CAP]
    # At most CANDIDATE_CAP small tuples: ordered here rather than joined back in SQL.
    scored = sorted(candidates.values_list("pk", "rank", "click_count"), key=lambda r: (-r[1], -r[2], -r[0]))
    in_title = [pk for pk, _rank, _clicks in scored[:wanted]]
    ids = in_title
    if len(in_title) < wanted:
        # Reached only when every title match is on this page, so excluding them is exact.
        # A short query walks the popularity index (its matches are many); a longer one, often
        # an OR of the fallback's words, is ordered after a bitmap scan — walking the index
        # for a rare OR would read every row's body vector.
        matching = entries.filter(**{column: ts_query}).exclude(pk__in=in_title)
        if plan.short:
            order = ("-click_count", "-id")
        else:
            order = ((F("click_count") + 0).desc(), "-id")
            # Body-only matches of a broad OR (the fallback's words) can be thousands; sorting
            # them all by popularity visited every matching row (~9 ms for 3,000). The page's
            # tail is filled from the first ELSEWHERE_CAP matches instead, by popularity.
            matching = entries.filter(pk__in=Subquery(matching.order_by().values("pk")[:ELSEWHERE_CAP]))
        elsewhere = matching.order_by(*order).values_list("pk", flat=True)[: wanted - len(in_title)]
        ids = in_title + list(elsewhere)
    return ids[offset:wanted], bool(ids)


def _sqlite_ranked(entries: QuerySet, plan: _Plan, title_terms: list[str]) -> QuerySet:
    title_hit = Q()
    for term in title_terms:
        title_hit |= Q(title__icontains=term)
    return (
        entries.filter(plan.condition)
        .annotate(rank=Case(When(title_hit, then=Value(1)), default=Value(0), output_field=IntegerField()))
        .order_by("-rank", "-click_count", "title", "pk")
    )


def _any_of(pieces: list[str]) -> str:
    return " | ".join(f"({p})" for p in pieces)


def _at_least_two(groups: list[str]) -> str:
    """tsquery matching rows that contain at least two of the (already parenthesised) groups."""
    pairs = [f"({a} & {b})" for i, a in enumerate(groups) for b in groups[i + 1 :]]
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
    """How a query is searched: its terms, each with its synonym variants, and the words of
    the partial fallback."""

    terms: list[str]
    variants: list[list[str]]  # per term, the term first
    words: list[list[str]]  # per word of the fallback, the word and its synonyms

    @property
    def also_searched(self) -> list[str]:
        """The synonyms searched besides what was typed ("also searched: 退费")."""
        out: list[str] = []
        for variants in self.variants:
            out.extend(v for v in variants[1:] if v not in out)
        return out

    @property
    def highlight_terms(self) -> list[str]:
        out = {v for vs in self.variants for v in vs} | {w for ws in self.words for w in ws}
        return sorted(out, key=len, reverse=True)

    def plans(self) -> list[tuple[_Plan, bool]]:
        """The attempts in order, each with whether it is a fallback: strict (every term, with
        synonyms), then — only when that finds nothing — the same with homophone typos
        tolerated (pinyin), at least two of the words, then any word — on PostgreSQL both by
        pinyin, which matches every exact match as well; on SQLite exact, then by pinyin."""
        postgres = settings.IS_POSTGRES
        short = len(self.terms) == 1 and len(self.terms[0]) <= 2
        out: list[tuple[_Plan, bool]] = []
        if postgres:
            # Synonyms are matched as phrases only: 号码携带 must not match 号码 … 携带 apart.
            strict = " & ".join(f"({_any_of([_term_piece(v, typed=i == 0) for i, v in enumerate(vs)])})"
                                for vs in self.variants)
            typo = " & ".join(f"({_any_of([_pinyin_piece(v) for v in vs])})" for vs in self.variants)
            out += [(_Plan(strict, short=short), False), (_Plan(typo, pinyin=True, short=short), True)]
        else:
            strict, typo = Q(), Q()
            for vs in self.variants:
                strict &= _sqlite_contains(vs, pinyin=False)
                typo &= _sqlite_contains(vs, pinyin=True)
            out += [(_Plan(strict), False), (_Plan(typo, pinyin=True), True)]
        if len(self.words) >= 2 or (self.words and self.words[0][0] not in self.terms):
            if postgres:
                sounds = [f"({_any_of([_pinyin_piece(w) for w in ws])})" for ws in self.words]
                # The pinyin vector holds every exact match too (same tokens), so one pinyin
                # query per stage covers both and halves the fallback's index queries.
                if len(self.words) >= 2:
                    out.append((_Plan(_at_least_two(sounds), pinyin=True), True))
                out.append((_Plan(" | ".join(sounds), pinyin=True), True))
            else:
                anyword, anysound = Q(), Q()
                for ws in self.words:
                    anyword |= _sqlite_contains(ws, pinyin=False)
                    anysound |= _sqlite_contains(ws, pinyin=True)
                out += [(_Plan(anyword), True), (_Plan(anysound, pinyin=True), True)]
        return out


def interpret(query: str) -> Interpretation | None:
    """The terms, synonym variants and fallback words of ``query``; None when nothing is searchable."""
    terms = query_terms(query)
    if not terms:
        return None
    synonyms = synonym_map()
    variants = [term_variants(t, synonyms) for t in terms]
    words: list[list[str]] = []
    seen: set[str] = set()
    for term in terms:
        for word in term_words(term, synonyms):
            if word not in seen:
                seen.add(word)
                words.append(term_variants(word, synonyms))
    return Interpretation(terms=terms, variants=variants, words=words[:MAX_WORDS])


@dataclass
class SearchOutcome:
    hits: list["SearchHit"] = field(default_factory=list)
    also_searched: list[str] = field(default_factory=list)
    fallback: bool = False


def search_outcome(query: str, *, category_ids: set[int] | None = None, limit: int = 20, offset: int = 0,
                   effective_only: bool = True) -> SearchOutcome:
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
    rows: list = []
    fallback = False
    columns = ("pk", "title", "body", "keywords", "version", "category__name")
    for plan, is_fallback in interpretation.plans():
        if settings.IS_POSTGRES:
            ids, matched = _pg_page(entries, plan, offset, limit)
            by_id = {e.pk: e for e in Entry.objects.filter(pk__in=ids).select_related("category").only(*columns)}
            rows = [by_id[i] for i in ids if i in by_id]
        else:
            ranked = _sqlite_ranked(entries, plan, [v for vs in interpretation.variants for v in vs])
            rows = list(ranked.select_related("category").only(*columns)[offset : offset + limit])
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
            category=e.category.name,
            version=e.version,
            title_html=highlight(e.title, terms),
            snippet_html=snippet(e.body, terms),
        )
        for e in rows
    ]
    return SearchOutcome(hits=hits, also_searched=interpretation.also_searched, fallback=fallback)


def search(query: str, *, category_ids: set[int] | None = None, limit: int = 20, offset: int = 0,
           effective_only: bool = True) -> list[SearchHit]:
    """Entries matching ``query`` best first, as hits with highlighted title and snippet."""
    return search_outcome(query, category_ids=category_ids, limit=limit, offset=offset,
                          effective_only=effective_only).hits
