import factory

from accounts.tests.factories import UserFactory
from knowledgebase.tests.factories import EntryFactory
from review.models import CommitteeMembership, Proposal


def committee_member(**kwargs):
    """A CSR in the Reviewer group with an active committee membership."""
    user = UserFactory(roles=["CSR", "Reviewer"], level=kwargs.pop("level", 4), **kwargs)
    CommitteeMembership.objects.create(member=user, source=CommitteeMembership.Source.APPOINTED)
    return user


class RevisionProposalFactory(factory.django.DjangoModelFactory):
    """An open KB revision proposal against the current version of a fresh entry."""

    class Meta:
        model = Proposal

    kind = "kb_revision"
    proposer = factory.SubFactory(UserFactory, roles=["CSR"])
    reason = "表述更清楚"
    target = factory.SubFactory(EntryFactory)
    base_version = factory.LazyAttribute(lambda o: o.target.version)
    payload = factory.LazyAttribute(
        lambda o: {
            "title": o.target.title,
            "body": o.target.body + "（已修订）",
            "keywords": o.target.keywords,
            "category_id": o.target.category_id,
        }
    )
