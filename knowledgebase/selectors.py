from django.db.models import QuerySet

from knowledgebase.diff import fields_diff_html
from knowledgebase.models import Category, Entry, QueryTestSession
from review.models import Proposal


def category_choices() -> list[tuple[int, str]]:
    """(id, "parent / child" label) for every category, tree order."""
    categories = list(Category.objects.all())
    by_parent: dict[int | None, list[Category]] = {}
    for c in categories:
        by_parent.setdefault(c.parent_id, []).append(c)
    out: list[tuple[int, str]] = []

    def walk(parent_id, prefix):
        for c in by_parent.get(parent_id, []):
            label = f"{prefix}{c.name}"
            out.append((c.pk, label))
            walk(c.pk, label + " / ")

    walk(None, "")
    return out


def entry_history(entry: Entry) -> QuerySet:
    """Historical versions of ``entry``, newest first, with the user who made each."""
    return entry.history.select_related("history_user").order_by("-history_date", "-history_id")


def entry_version_fields(entry: Entry, version: int) -> dict[str, str] | None:
    """Title/category/keywords/body of ``entry`` at ``version``; None when that version is
    not in the history."""
    record = entry.history.filter(version=version).order_by("-history_date", "-history_id").first()
    if record is None:
        return None
    category = Category.objects.filter(pk=record.category_id).values_list("name", flat=True).first() or ""
    return {"title": record.title, "category": category, "keywords": record.keywords, "body": record.body}


def _fields(payload: dict) -> dict[str, str]:
    category = Category.objects.filter(pk=payload.get("category_id")).values_list("name", flat=True).first() or ""
    return {"title": payload.get("title", ""), "category": category, "keywords": payload.get("keywords", ""),
            "body": payload.get("body", "")}


def entry_fields(entry: Entry) -> dict[str, str]:
    return {"title": entry.title, "category": entry.category.name, "keywords": entry.keywords, "body": entry.body}


def payload_diff_html(*, entry: Entry | None, payload: dict):
    """Diff of ``payload`` against ``entry``'s current content (against nothing for a new entry)."""
    before = entry_fields(entry) if entry is not None else {"title": "", "category": "", "keywords": "", "body": ""}
    return fields_diff_html(before, _fields(payload))


def proposal_diff_html(proposal: Proposal):
    """What the proposal changes: for an applied revision, its base version against the
    version it produced; otherwise the current entry against the proposed content."""
    entry = Entry.objects.select_related("category").filter(pk=proposal.target_id).first() if proposal.target_id else None
    if proposal.status == Proposal.Status.APPLIED and entry is not None:
        if proposal.kind == "kb_new_entry":
            return payload_diff_html(entry=None, payload=proposal.payload)
        before = entry_version_fields(entry, proposal.base_version)
        after = entry_version_fields(entry, proposal.applied_version)
        if before is not None and after is not None:
            return fields_diff_html(before, after)
    return payload_diff_html(entry=entry if proposal.kind == "kb_revision" else None, payload=proposal.payload)


def latest_query_time_result(employee) -> QueryTestSession | None:
    """The employee's most recent finished query-time test (its allowed_level is what the
    promotion engine reads); None when they never finished one."""
    return (
        QueryTestSession.objects.filter(employee=employee, finished_at__isnull=False)
        .order_by("-finished_at", "-pk")
        .first()
    )


def query_test_sessions_of(employee) -> QuerySet[QueryTestSession]:
    return QueryTestSession.objects.filter(employee=employee).order_by("-started_at", "-pk")
