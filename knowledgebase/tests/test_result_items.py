"""The result list's items are written in Python (knowledgebase.templatetags.kb_results); they
must be what the template's loop wrote, escaping included."""

import re

from django.template import Context, Template
from django.utils.safestring import mark_safe

from knowledgebase.search import SearchHit
from knowledgebase.templatetags.kb_results import hit_items

# The loop _results.html had for links, kept here as the reference.
TEMPLATE_LOOP = Template(
    """{% for hit, link in rows %}
  <li>
    <a class="hit-title" href="{{ link }}">{{ hit.title_html }}</a>
    <span class="muted">· {{ hit.category }} · v{{ hit.version }}</span>
    <div>{{ hit.snippet_html }}</div>
  </li>
  {% endfor %}"""
)


def _hit(pk, category, title_html, snippet_html, version=3):
    return SearchHit(
        entry_id=pk,
        title="t",
        category=category,
        version=version,
        title_html=mark_safe(title_html),
        snippet_html=mark_safe(snippet_html),
    )


def _squeezed(html: str) -> str:
    return re.sub(r"\s+", " ", html).strip()


def test_the_items_are_what_the_template_loop_wrote_with_the_same_escaping():
    rows = [
        (_hit(1, "宽带 & 光纤", "<mark>宽带</mark>报修", "…<mark>宽带</mark>…"), "/kb/s/7/1/"),
        (
            _hit(2, '<script>alert("x")</script>', "<b>T</b>", "a 'quoted' & <i>s</i>", 12345),
            '/kb/?q=a&b="c"',
        ),
    ]
    expected = TEMPLATE_LOOP.render(Context({"rows": rows}))
    written = hit_items(rows)
    assert _squeezed(written) == _squeezed(expected)
    # the category and the link are escaped; the highlights (already escaped) are not
    assert "&lt;script&gt;" in written and "<script>" not in written
    assert 'href="/kb/?q=a&amp;b=&quot;c&quot;"' in written
    assert "<mark>宽带</mark>报修" in written


def test_no_rows_write_nothing():
    assert hit_items([]) == ""
