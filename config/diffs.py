"""The one home of the readable diffs shown to people (KB revisions, case proposals and
revisions, their histories, the onboarding sandbox previews), all as escaped HTML.

- ``text_diff_html``: character level (Chinese has no spaces), removed text in <del>, added
  text in <ins> (KB fields).
- ``line_diff`` / ``line_diff_html``: line level, as (op, line) pairs and as one
  ``<p class="diff-line add|del">`` per line (a case's content in its text format).
- ``fields_diff_html``: one diffed row per labelled field in a <dl>, unchanged fields plain.

Also the "diffs" template library: ``{{ pairs|line_diff_html }}``."""

import difflib
from collections.abc import Iterable
from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()


def text_diff_html(old: str, new: str) -> SafeString:
    """``old`` → ``new`` escaped, removed text in <del>, added text in <ins>."""
    old, new = old or "", new or ""
    out = []
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape(old[a1:a2]))
            continue
        if op in ("delete", "replace"):
            out.append(f"<del>{escape(old[a1:a2])}</del>")
        if op in ("insert", "replace"):
            out.append(f"<ins>{escape(new[b1:b2])}</ins>")
    return mark_safe("".join(out))


def fields_diff_html(rows: Iterable[tuple[str, str, str]]) -> SafeString:
    """A <dl> with one row per (label, before, after): diffed when changed (text_diff_html),
    else shown plain and marked unchanged."""
    out = []
    for label, before, after in rows:
        changed = before != after
        body = text_diff_html(before, after) if changed else escape(after)
        note = "" if changed else f' <span class="muted">({escape(_("unchanged"))})</span>'
        out.append(f'<dt>{escape(label)}{note}</dt><dd class="diff">{body}</dd>')
    return mark_safe('<dl class="record diff-list">' + "".join(out) + "</dl>")


def line_diff(before: str, after: str) -> list[tuple[str, str]]:
    """(op, line) pairs: op is " " (unchanged), "-" (removed) or "+" (added)."""
    rows = []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line[:1] in (" ", "-", "+"):
            rows.append((line[:1], line[2:]))
    return rows


_LINE_CLASS = {"+": " add", "-": " del"}
_LINE_MARK = {"+": "+ ", "-": "- "}


@register.filter
def line_diff_html(pairs: Iterable[tuple[str, str]] | None) -> SafeString:
    """The (op, line) pairs of line_diff as HTML: one escaped line per <p>, added and removed
    lines marked by class and by a leading "+ " / "- "; "" for no pairs."""
    if not pairs:
        return mark_safe("")
    lines = "".join(
        f'<p class="diff-line{_LINE_CLASS.get(op, "")}">'
        f"{_LINE_MARK.get(op, '&nbsp; ')}{escape(line)}</p>"
        for op, line in pairs
    )
    return mark_safe(f'<div class="diff">{lines}</div>')
