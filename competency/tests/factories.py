from decimal import Decimal

import factory

from accounts.tests.factories import (  # noqa: F401 - positions are accounts data; re-exported
    PositionFactory,
    PositionFamilyFactory,
    UserFactory,
)
from competency import qsort, services
from competency.models import (
    CompetencyItem,
    CompetencyModule,
    PositionCompetency,
)


class CompetencyModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompetencyModule
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"module-{n}")
    name = factory.Sequence(lambda n: f"模块{n}")
    order = 10


class CompetencyItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompetencyItem

    module = factory.SubFactory(CompetencyModuleFactory)
    code = factory.Sequence(lambda n: f"item-{n}")
    name = factory.Sequence(lambda n: f"素质{n}")
    ksao = "S"
    kind = "skill"


class PositionCompetencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PositionCompetency

    position = factory.SubFactory(PositionFactory)
    item = factory.SubFactory(CompetencyItemFactory)
    weight = Decimal("0.2")
    target_score = 4


def make_round(
    *, n_items=4, sizes=(1, 2, 1), raters=None, manager=None, position=None, open_=True, items=None
):
    """A Q-sort round over fresh items (or ``items``) with the given pile sizes; opened by
    default."""
    manager = manager or UserFactory(roles=["Training manager"])
    items = items if items is not None else CompetencyItemFactory.create_batch(n_items)
    round = services.qsort_round_create(
        position=position or PositionFactory(),
        items=items,
        important_count=sizes[0],
        neutral_count=sizes[1],
        unimportant_count=sizes[2],
        raters=raters if raters is not None else [UserFactory(roles=["CSR"])],
        created_by=manager,
        title="测试轮次",
    )
    if open_:
        services.qsort_round_open(round_id=round.pk, actor=manager)
    round.refresh_from_db()
    return round


def placements_for(order, sizes) -> list[qsort.Placement]:
    """Placements putting ``order`` (item ids, most important first) into piles of ``sizes``."""
    result, start = [], 0
    for pile, size in zip(qsort.PILES, sizes, strict=True):
        result += [
            qsort.Placement(item=i, pile=pile, rank=r)
            for r, i in enumerate(order[start : start + size], start=1)
        ]
        start += size
    return result


def as_post_data(placements) -> dict:
    data = {}
    for p in placements:
        data[f"pile_{p.item}"] = p.pile
        data[f"rank_{p.item}"] = str(p.rank)
    return data
