"""Chinese full-text search for the knowledge base.

PostgreSQL (measured, see ARCHITECTURE.md "Findings"): Debian has no zhparser/pg_bigm, and
pg_trgm ignores CJK under LC_CTYPE=C. So the text is tokenised here in Python — jieba
``cut_for_search`` words plus CJK character bigrams plus lower-cased latin/digit words —
stored space-separated in ``search_title``/``search_text`` and turned into a
``tsvector('simple')`` (title weight A, body/keywords weight B) with a GIN index. A query
term becomes a phrase of its bigrams (``携号 <-> 号转 <-> 转网``) OR-ed with its jieba words,
terms are AND-ed, results ordered by ts_rank (never by id: the planner would then walk the
primary key). Snippets are highlighted in Python on the few rows returned.

SQLite (embedded demo): a plain icontains AND over the terms.
"""

import logging
import re
import threading
from dataclasses import dataclass
from html import escape

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
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


def index_fields(*, title: str, body: str, keywords: str) -> dict[str, str]:
    """Values of Entry.search_title / search_text for the given content."""
    return {"search_title": tokens(title), "search_text": tokens(f"{keywords} {body}")}


def vector_expression():
    """SQL expression computing Entry.search_vector from the two token columns."""
    return SearchVector("search_title", config="simple", weight="A") + SearchVector(
        "search_text", config="simple", weight="B"
    )


def query_terms(query: str) -> list[str]:
    """The user's query split into terms (runs of CJK characters or latin/digit words)."""
    terms: list[str] = []
    for chunk in _TERM_SPLIT.split((query or "").lower()):
        for run in _RUN.findall(chunk):
            if run not in terms:
                terms.append(run)
    return terms[:12]


def tsquery(query: str) -> str | None:
    """A to_tsquery('simple', …) string for ``query``; None when it has no searchable term.

    Tokens contain only CJK characters or [a-z0-9], so nothing needs quoting."""
    parts = []
    for term in query_terms(query):
        if _CJK_RUN.match(term):
            if len(term) == 1:
                parts.append(f"{term}:*")
                continue
            phrase = " <-> ".join(_bigrams(term))
            longer = [w for w in jieba_tokenizer().cut_for_search(term) if len(w) > 2 and w == term]
            parts.append(f"({phrase} | {longer[0]})" if longer else f"({phrase})")
        else:
            parts.append(f"{term}:*")
    return " & ".join(parts) if parts else None


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


def _filter_queryset(entries: QuerySet, query: str) -> QuerySet | None:
    if settings.IS_POSTGRES:
        ts = tsquery(query)
        if ts is None:
            return None
        ts_query = SearchQuery(ts, config="simple", search_type="raw")
        return (
            entries.filter(search_vector=ts_query)
            .annotate(rank=SearchRank(F("search_vector"), ts_query))
            .order_by("-rank", "pk")
        )
    terms = query_terms(query)
    if not terms:
        return None
    condition = Q()
    for term in terms:
        condition &= Q(title__icontains=term) | Q(keywords__icontains=term) | Q(body__icontains=term)
    title_hit = Q()
    for term in terms:
        title_hit |= Q(title__icontains=term)
    return (
        entries.filter(condition)
        .annotate(rank=Case(When(title_hit, then=Value(1)), default=Value(0), output_field=IntegerField()))
        .order_by("-rank", "title", "pk")
    )


def search(query: str, *, category_ids: set[int] | None = None, limit: int = 20, offset: int = 0,
           effective_only: bool = True) -> list[SearchHit]:
    """Entries matching ``query`` best first, as hits with highlighted title and snippet."""
    from knowledgebase.models import Entry

    entries = Entry.objects.all()
    if effective_only:
        entries = entries.effective()
    if category_ids:
        entries = entries.filter(category_id__in=category_ids)
    matched = _filter_queryset(entries, query)
    if matched is None:
        return []
    rows = matched.select_related("category").only(
        "pk", "title", "body", "keywords", "version", "category__name"
    )[offset : offset + limit]
    terms = query_terms(query)
    return [
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
