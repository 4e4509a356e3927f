"""The review app's own proposal kind: a committee application, decided by the committee
through the same engine as every other proposal (registered at start-up)."""

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from review.registry import ProposalKind, register


def render_application(proposal) -> str:
    """HTML for the proposal page: the applicant's figures when applying and now (the rule
    of review.selectors.committee_eligibility) and their statement."""
    from review.models import CommitteeApplication
    from review.selectors import committee_eligibility

    application = CommitteeApplication.objects.select_related("applicant").get(proposal=proposal)
    return render_to_string(
        "review/_application_summary.html",
        {
            "application": application,
            "now": committee_eligibility(application.applicant),
        },
    )


def _rebase_url(proposal) -> str | None:
    from review.models import Proposal

    if proposal.status == Proposal.Status.STALE:
        return reverse("review:committee")
    return None


def register_kinds() -> None:
    from review import services

    register(
        ProposalKind(
            code=services.KIND_COMMITTEE_APPLICATION,
            label=_("Committee application"),
            apply=services.committee_application_apply,
            current_version=lambda proposal: None,
            render_diff=render_application,
            rebase_url=_rebase_url,
            on_closed=services.committee_application_closed,
            # Voting on a colleague's admission is not a content review: no reviewer points.
            on_voted=None,
            counts_for_pass_rate=False,
        )
    )
