"""Demo: a published Q-sort round for the hotline CSR position, so its model has real weights.

Runs after accounts.demo (the raters HB0005, HB0006 and the training manager HB9001 must
exist). Goes through the real services (create → open → three sorts → close → publish), so
the demo shows the same audit trail as production. Safe to run again: an existing demo round
is left as it is; the behavioural indicators are refreshed.
"""

from decimal import Decimal

from accounts.models import Position, User
from competency import qsort, services
from competency.models import CompetencyItem, QSortRound

POSITION = "hotline-csr"
TITLE = "热线客服代表素质权重 Q 分类(示例)"
MANAGER = "HB9001"
RATERS = ["HB0005", "HB0006", "HB9001"]

# The benchmark order of the hotline CSR position, most important first.
BASE_ORDER = [
    "service-cognition",
    "communication",
    "product-knowledge",
    "customer-orientation",
    "complaint-handling",
    "expression",
    "stress-resistance",
    "adaptability",
    "key-moment",
    "cross-selling-awareness",
    "key-phrase",
    "key-information",
    "marketing-process",
    "cross-selling-habit",
    "marketing-tools",
    "sales-breadth-volume",
    "task-management",
    "people-management",
]
# Each rater's view differs a little from the benchmark: pairs of positions swapped (0-based).
RATER_SWAPS = {
    "HB0005": [(0, 1), (4, 6), (9, 10)],
    "HB0006": [(2, 3), (7, 8), (15, 16)],
    "HB9001": [(1, 2), (5, 7), (12, 14)],
}

INDICATORS = {
    "service-cognition": [
        "把解决客户问题视为本职工作,不推诿、不敷衍",
        "通话全程保持耐心、礼貌的服务态度",
    ],
    "communication": [
        "先完整倾听再回应,不打断客户",
        "用提问和复述确认客户的真实需求",
        "结束前确认客户已理解处理结果",
    ],
    "product-knowledge": ["准确说明资费、套餐和业务规则", "10 秒内在知识库中找到正确口径"],
    "customer-orientation": [
        "主动发现客户未说出的需求并提供帮助",
        "为客户选择最合适而非最贵的方案",
    ],
    "complaint-handling": [
        "先安抚情绪再处理事实",
        "给出明确的处理时限并按时回访",
        "需要时及时升级,避免重复投诉",
    ],
    "expression": ["语言简洁清晰,避免专业术语", "语速、语调与客户情绪相适应"],
    "stress-resistance": ["面对激动客户保持情绪稳定", "高峰时段仍保持服务质量"],
    "adaptability": ["遇到系统异常时能给出替代方案", "处理非常规诉求时灵活而不违规"],
    "key-moment": ["在客户问题解决、情绪积极时发起推荐"],
    "cross-selling-awareness": ["在合适的来电中主动寻找推荐机会"],
    "key-phrase": ["使用简短、合规的推荐话术"],
    "key-information": ["推荐前查看客户套餐与使用情况"],
    "marketing-process": ["按“需求—推荐—异议—确认”的流程完成营销"],
    "cross-selling-habit": ["推荐成为每通合适来电的固定动作"],
    "marketing-tools": ["熟练使用营销系统与推荐清单"],
    "sales-breadth-volume": ["推荐覆盖多类产品,达到班组营销目标"],
    "task-management": ["按时完成班组分派的任务并反馈进度"],
    "people-management": ["在班组内分享经验、带教新员工"],
}


def _placements(order: list[int], sizes: dict[str, int]) -> list[qsort.Placement]:
    placements, start = [], 0
    for pile in qsort.PILES:
        for rank, item_id in enumerate(order[start : start + sizes[pile]], start=1):
            placements.append(qsort.Placement(item=item_id, pile=pile, rank=rank))
        start += sizes[pile]
    return placements


def load(*, stdout) -> None:
    position = Position.objects.get(code=POSITION)
    users = {u.staff_id: u for u in User.objects.filter(staff_id__in=RATERS)}
    items = {i.code: i for i in CompetencyItem.objects.filter(code__in=BASE_ORDER)}
    round = QSortRound.objects.filter(position=position, title=TITLE).first()
    if round is None:
        manager = users[MANAGER]
        benchmark = [items[code] for code in BASE_ORDER]
        sizes = qsort.suggest_pile_sizes(len(benchmark))
        round = services.qsort_round_create(
            position=position,
            title=TITLE,
            items=benchmark,
            raters=[users[s] for s in RATERS],
            important_count=sizes[qsort.IMPORTANT],
            neutral_count=sizes[qsort.NEUTRAL],
            unimportant_count=sizes[qsort.UNIMPORTANT],
            created_by=manager,
        )
        services.qsort_round_open(round_id=round.pk, actor=manager)
        for staff_id in RATERS:
            order = [items[code].pk for code in BASE_ORDER]
            for a, b in RATER_SWAPS[staff_id]:
                order[a], order[b] = order[b], order[a]
            services.qsort_submission_save(
                round_id=round.pk, rater=users[staff_id], placements=_placements(order, sizes)
            )
        services.qsort_round_close(round_id=round.pk, actor=manager)
        services.qsort_round_publish(round_id=round.pk, actor=manager)
        round.refresh_from_db()
    for code, lines in INDICATORS.items():
        services.position_competency_set_indicators(
            position=position, item=items[code], indicators="\n".join(lines)
        )
    complaint = _complaint_model()
    stdout.write(
        f"competency: Q-sort round “{round}” ({round.get_status_display()}) for {position}; "
        f"{complaint} items in the hand-entered model of {COMPLAINT_POSITION}"
    )


# The complaint-handling CSR's model, entered by hand (no Q-sort round yet): (item code, weight,
# target score, behavioural indicators). The weights sum to 1.
COMPLAINT_POSITION = "complaint-csr"
COMPLAINT_MODEL = [
    (
        "complaint-handling",
        "0.30",
        4,
        ["先认错、再给确定时间、最后主动回访", "升级前把诉求和已做处理写清楚"],
    ),
    (
        "stress-resistance",
        "0.25",
        4,
        ["客户辱骂时语速和语气保持平稳", "连续投诉电话后仍按流程处理"],
    ),
    ("communication", "0.20", 4, ["复述客户诉求并得到确认"]),
    ("adaptability", "0.15", 4, ["政策没有覆盖的情况及时请示并给客户明确答复"]),
    ("service-cognition", "0.10", 4, ["不推诿，首问负责到底"]),
]


def _complaint_model() -> int:
    """COMPLAINT_MODEL for the 投诉处理代表 position (its indicators through the real
    service, its weights and targets as an operations manager types them in the admin), so a
    complaint CSR's gap analysis — and a re-test's remedial plan — names courses. Left as it
    is when the position already has a model (a published round or a hand edit)."""
    from competency.models import PositionCompetency

    position = Position.objects.filter(code=COMPLAINT_POSITION).first()
    if position is None or PositionCompetency.objects.filter(position=position).exists():
        return 0
    items = {
        i.code: i for i in CompetencyItem.objects.filter(code__in=[r[0] for r in COMPLAINT_MODEL])
    }
    for code, weight, target, lines in COMPLAINT_MODEL:
        pc = services.position_competency_set_indicators(
            position=position, item=items[code], indicators="\n".join(lines)
        )
        pc.weight, pc.target_score = Decimal(weight), target
        pc.save(update_fields=["weight", "target_score"])
    return len(COMPLAINT_MODEL)
