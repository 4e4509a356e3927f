"""knowledgebase's part of the sandbox (accounts.onboarding): practising a revision of the
simulated 口径 with the REAL RevisionProposalForm, previewed with the real diff the review
committee sees (knowledgebase.selectors.payload_diff_html). Nothing is written. Registered
from KnowledgebaseConfig.ready()."""

from django.utils.safestring import SafeString

from accounts.onboarding import (
    SANDBOX_KB,
    SIMULATED_ENTRY,
    SIMULATED_VERSION,
    SandboxKind,
    refuse_outdated,
    refuse_unchanged,
    register_sandbox_kind,
)
from knowledgebase.forms import RevisionProposalForm
from knowledgebase.models import Category, Entry
from knowledgebase.selectors import payload_diff_html
from knowledgebase.services import entry_payload
from points.models import PointRule
from review.models import ReviewSettings


def _kb_category():
    return Category.objects.get_first_root_node()


def simulated_entry():
    """The simulated 口径 as an UNSAVED Entry (the diff functions take an entry), in the first
    category of the real tree (an unsaved placeholder category when there is none)."""
    category = _kb_category() or Category(name="—")
    return Entry(category=category, version=SIMULATED_VERSION, **SIMULATED_ENTRY)


def sandbox_form(data=None):
    """The real revision form, pre-filled with the simulated entry (bound to ``data`` when
    given)."""
    entry = simulated_entry()
    initial = {
        "category": entry.category.pk,
        "title": entry.title,
        "keywords": entry.keywords,
        "body": entry.body,
        "base_version": SIMULATED_VERSION,
    }
    return RevisionProposalForm(data, initial=initial)


def sandbox_preview(data: dict, user) -> SafeString:
    entry = simulated_entry()
    refuse_outdated(data["base_version"])
    payload = {
        "title": data["title"],
        "body": data["body"],
        "keywords": " ".join((data["keywords"] or "").split()),
        "category_id": data["category"],
    }
    before = {**entry_payload(entry), "category_id": entry.category.pk}
    refuse_unchanged(payload, before)
    # What the review page shows for an open revision (knowledgebase.selectors.proposal_diff_html).
    return payload_diff_html(entry=entry, payload=payload)


def points_range() -> str:
    """The range the real revision pays (PointRule kb_revision_accepted); "" without it."""
    rule = PointRule.objects.filter(code=PointRule.KB_REVISION_ACCEPTED).first()
    return rule.range_display() if rule else ""


def approvals_required() -> int:
    return ReviewSettings.current().approvals_required


def page_context() -> dict:
    """What the sandbox page shows beside the form: the simulated entry."""
    return {"entry": simulated_entry()}


def register() -> None:
    register_sandbox_kind(
        SandboxKind(
            code=SANDBOX_KB,
            form=sandbox_form,
            preview=sandbox_preview,
            points_range=points_range,
            approvals_required=approvals_required,
            page_context=page_context,
        )
    )
