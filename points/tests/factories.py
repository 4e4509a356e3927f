import factory

from accounts.tests.factories import UserFactory
from points.models import PointRule, PointsEntry, QCTopic, RationalisationProposal


def rule(code: str) -> PointRule:
    return PointRule.objects.get(code=code)


class PointsEntryFactory(factory.django.DjangoModelFactory):
    """A ledger row under the manual-correction rule (any amount), unique source."""

    class Meta:
        model = PointsEntry

    employee = factory.SubFactory(UserFactory, roles=["CSR"])
    amount = 10
    rule = factory.LazyFunction(lambda: rule(PointRule.MANUAL_CORRECTION))
    source = factory.Sequence(lambda n: f"test:{n}")


class RationalisationProposalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RationalisationProposal

    proposer = factory.SubFactory(UserFactory, roles=["CSR"])
    title = factory.Sequence(lambda n: f"合理化建议{n}")
    description = "把常见问题的口径做成快捷短语。"


class QCTopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QCTopic

    title = factory.Sequence(lambda n: f"QC课题{n}")
    description = "降低重复来电率"
    points_per_member = 40
    published_by = factory.SubFactory(UserFactory, roles=["Training manager"])
