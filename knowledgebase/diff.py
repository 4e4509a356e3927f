"""Readable diffs of entry versions: character-level (Chinese has no spaces), as HTML ins/del."""

from difflib import SequenceMatcher
from html import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

FIELDS = [
    ("title", gettext_noop("Title")),
    ("category", gettext_noop("Category")),
    ("keywords", gettext_noop("Keywords and aliases")),
    ("body", gettext_noop("Answer script")),
]


def text_diff_html(old: str, new: str) -> SafeString:
    """``old`` → ``new`` escaped, removed text in <del>, added text in <ins>."""
    old, new = old or "", new or ""
    out = []
    for op, a1, a2, b1, b2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape(old[a1:a2]))
            continue
        if op in ("delete", "replace"):
            out.append(f"<del>{escape(old[a1:a2])}</del>")
        if op in ("insert", "replace"):
            out.append(f"<ins>{escape(new[b1:b2])}</ins>")
    return mark_safe("".join(out))


def fields_diff_html(old: dict[str, str], new: dict[str, str]) -> SafeString:
    """A <dl> with one diffed row per field that exists in either dict ("title", "category",
    "keywords", "body"); unchanged fields are shown plain and marked unchanged."""
    rows = []
    for key, label in FIELDS:
        if key not in old and key not in new:
            continue
        before, after = str(old.get(key) or ""), str(new.get(key) or "")
        changed = before != after
        body = text_diff_html(before, after) if changed else escape(after)
        unchanged_label = _("unchanged")
        note = "" if changed else f' <span class="muted">({escape(unchanged_label)})</span>'
        rows.append(f"<dt>{escape(_(label))}{note}</dt><dd class=\"diff\">{body}</dd>")
    return mark_safe('<dl class="record diff-list">' + "".join(rows) + "</dl>")
