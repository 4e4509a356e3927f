"""Demo data for the curriculum: ability elements and topics, 15 courses with question banks
and runs, the hotline family's learning map (初级 → 中级 → 高级) and sample trajectories for
HB0001–HB0004 rated by team leader HB9301.

Idempotent: rows are looked up by code/name; trajectories are only written for an employee
who has no enrolment yet. Links to competency items are skipped when the dictionary is empty.
So that HB9301 may rate them (team leaders rate only their own team), the demo places
HB0001–HB0004 in HB9301's team.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import PositionFamily, User
from accounts.rules import same_team
from competency.models import CompetencyItem, PositionCompetency
from curriculum import services
from curriculum.models import (
    AbilityElement,
    BehaviourRating,
    CallStep,
    Course,
    CourseRun,
    Enrolment,
    ExamAttempt,
    ImprovementPlanItem,
    LearningMap,
    MapCourse,
    MapStage,
    MapTopic,
    Option,
    Question,
    StageLevel,
    SurveyResponse,
    Topic,
)

FAMILY = "hotline"

# ability element: (call step, name, name_en, position-specific?)
ELEMENTS = {
    "etiquette": ("greeting", "服务礼仪与开场", "Service etiquette and opening", False),
    "listening": ("listening", "倾听与需求识别", "Listening and need identification", False),
    "confirming": ("confirming", "确认与复述", "Confirming and paraphrasing", False),
    "business": ("solving", "业务知识与口径运用", "Business knowledge and official scripts", True),
    "complaints": ("solving", "投诉处理与情绪安抚", "Complaint handling and calming", True),
    "marketing": ("recommending", "服务营销", "Service marketing", True),
    "closing": ("closing", "结束与服务闭环", "Closing and follow-up", False),
}

# topic: (name, name_en, element)
TOPICS = {
    "t-cognition": ("服务认知与礼仪", "Service cognition and etiquette", "etiquette"),
    "t-business": ("业务知识基础", "Business knowledge basics", "business"),
    "t-listening": ("倾听与需求识别", "Listening and identifying needs", "listening"),
    "t-complaints": ("投诉处理与情绪安抚", "Complaints and emotions", "complaints"),
    "t-adapt": ("确认与灵活应变", "Confirming and adapting", "confirming"),
    "t-marketing": ("服务营销", "Service marketing", "marketing"),
    "t-excellence": ("卓越服务与闭环", "Service excellence and closing", "closing"),
}

# code: (title, title_en, items, call steps, priority, hours)
COURSES = {
    "C101": (
        "客服职业认知与服务意识",
        "Service mindset for CSRs",
        ["service-cognition", "customer-orientation"],
        ["greeting"],
        False,
        "3",
    ),
    "C102": (
        "标准开场白与服务礼仪",
        "Standard opening and etiquette",
        ["expression"],
        ["greeting"],
        False,
        "2",
    ),
    "C103": (
        "资费套餐与业务规则基础",
        "Tariffs, plans and business rules",
        ["product-knowledge"],
        ["solving"],
        False,
        "6",
    ),
    "C104": (
        "知识库口径快速查询技巧",
        "Fast knowledge-base lookup",
        ["product-knowledge"],
        ["listening", "solving"],
        True,
        "2",
    ),
    "C105": (
        "有效倾听与提问技巧",
        "Active listening and questioning",
        ["communication"],
        ["listening", "confirming"],
        False,
        "3",
    ),
    "C201": (
        "客户情绪安抚与同理心表达",
        "Calming customers with empathy",
        ["complaint-handling", "stress-resistance"],
        ["listening", "solving"],
        False,
        "3",
    ),
    "C202": (
        "投诉处理六步法",
        "Six steps of complaint handling",
        ["complaint-handling"],
        ["solving", "closing"],
        True,
        "4",
    ),
    "C203": (
        "高压话务下的情绪管理",
        "Managing emotions under pressure",
        ["stress-resistance"],
        ["solving"],
        False,
        "2",
    ),
    "C204": (
        "非常规诉求的灵活应变",
        "Handling unusual requests",
        ["adaptability"],
        ["solving"],
        False,
        "2",
    ),
    "C205": (
        "精准确认与复述技巧",
        "Confirming and paraphrasing precisely",
        ["communication", "expression"],
        ["confirming"],
        False,
        "2",
    ),
    "C301": (
        "服务营销意识与关键时刻把握",
        "Marketing awareness and the key moment",
        ["cross-selling-awareness", "key-moment"],
        ["recommending"],
        True,
        "3",
    ),
    "C302": (
        "关键话术设计与异议处理",
        "Key phrases and objections",
        ["key-phrase", "marketing-process"],
        ["recommending"],
        False,
        "3",
    ),
    "C303": (
        "客户关键信息识别与精准推荐",
        "Key information and precise recommendation",
        ["key-information", "marketing-tools", "cross-selling-habit"],
        ["recommending"],
        False,
        "4",
    ),
    "C304": (
        "超越期望的客户导向服务",
        "Customer orientation beyond expectations",
        ["customer-orientation"],
        ["closing"],
        False,
        "2",
    ),
    "C305": (
        "满意结束语与服务闭环",
        "Closing the call and following up",
        ["expression", "customer-orientation"],
        ["closing"],
        False,
        "1.5",
    ),
}

# stage level, name, [(topic, [courses])]
MAP = [
    (
        StageLevel.JUNIOR,
        "初级",
        [
            ("t-cognition", ["C101", "C102"]),
            ("t-business", ["C103", "C104"]),
            ("t-listening", ["C105"]),
        ],
    ),
    (
        StageLevel.INTERMEDIATE,
        "中级",
        [("t-complaints", ["C201", "C202", "C203"]), ("t-adapt", ["C204", "C205"])],
    ),
    (
        StageLevel.SENIOR,
        "高级",
        [("t-marketing", ["C301", "C302", "C303"]), ("t-excellence", ["C304", "C305"])],
    ),
]

# (question, kind, [(option, correct)])
BANKS = {
    "C101": [
        (
            "“以客户为中心”的服务理念首先要求客服代表做到什么?",
            "single",
            [
                ("站在客户角度理解问题", True),
                ("尽快结束通话", False),
                ("只回答被问到的问题", False),
                ("优先推荐新业务", False),
            ],
        ),
        (
            "以下哪些属于良好的服务意识表现?",
            "multiple",
            [
                ("主动告知客户可能遇到的问题", True),
                ("客户情绪激动时保持耐心", True),
                ("把问题推给其他部门", False),
                ("记录并跟进未解决的问题", True),
            ],
        ),
        (
            "客户说“你们的服务太差了”,第一反应应该是?",
            "single",
            [("先致歉并了解具体情况", True), ("解释公司没有错", False), ("请客户稍后再打", False)],
        ),
        (
            "服务认知属于KSAO中的哪一类?",
            "single",
            [("态度", True), ("知识", False), ("技能", False)],
        ),
        (
            "客服代表的价值体现在?",
            "multiple",
            [("为客户解决问题", True), ("维护公司形象", True), ("完成通话量即可", False)],
        ),
    ],
    "C103": [
        (
            "客户询问套餐外流量费用时,应首先?",
            "single",
            [
                ("查询知识库中最新的资费口径", True),
                ("凭记忆回答", False),
                ("建议客户去营业厅", False),
            ],
        ),
        (
            "办理套餐变更前必须向客户确认哪些信息?",
            "multiple",
            [
                ("生效时间", True),
                ("变更后的月费", True),
                ("客户的兴趣爱好", False),
                ("原套餐剩余权益的处理", True),
            ],
        ),
        (
            "新套餐通常在何时生效?",
            "single",
            [("按业务规则(多为次月)生效", True), ("立即全部生效", False), ("由客服决定", False)],
        ),
        (
            "知识库口径与个人理解不一致时,应以何为准?",
            "single",
            [("知识库口径", True), ("个人理解", False), ("同事意见", False)],
        ),
        (
            "以下哪些属于业务规则类知识?",
            "multiple",
            [("携号转网条件", True), ("积分兑换规则", True), ("午休时间", False)],
        ),
        (
            "资费解释中应避免?",
            "single",
            [("使用客户听不懂的内部术语", True), ("举例说明", False), ("复述确认", False)],
        ),
    ],
    "C202": [
        (
            "投诉处理的第一步是?",
            "single",
            [("倾听并安抚情绪", True), ("立刻给出赔偿", False), ("解释规定", False)],
        ),
        (
            "以下哪些做法有助于防止投诉升级?",
            "multiple",
            [
                ("承诺的事项按时跟进", True),
                ("如实告知处理时限", True),
                ("频繁转接", False),
                ("打断客户陈述", False),
            ],
        ),
        (
            "厘清事实时最有效的方法是?",
            "single",
            [
                ("有针对性地提问并复述确认", True),
                ("让客户自己说完就结束", False),
                ("查看客户历史消费即可", False),
            ],
        ),
        (
            "给出处理方案时应?",
            "single",
            [
                ("提供可选方案并说明利弊", True),
                ("只给一个方案", False),
                ("让客户自己想办法", False),
            ],
        ),
        (
            "投诉闭环包括哪些环节?",
            "multiple",
            [("结果回访", True), ("记录原因", True), ("删除工单", False)],
        ),
    ],
    "C301": [
        (
            "发起推荐的最佳时机(关键时刻)是?",
            "single",
            [("客户问题已解决、情绪积极时", True), ("客户刚接通时", False), ("客户投诉时", False)],
        ),
        (
            "关键信息包括哪些?",
            "multiple",
            [
                ("客户当前套餐", True),
                ("月均消费", True),
                ("客户姓名的笔画", False),
                ("使用习惯", True),
            ],
        ),
        (
            "“服务即营销”的含义是?",
            "single",
            [
                ("优质服务本身创造营销机会", True),
                ("每通电话都必须推销", False),
                ("营销比服务重要", False),
            ],
        ),
        (
            "客户明确拒绝推荐后应?",
            "single",
            [("礼貌结束推荐,不再纠缠", True), ("换一种说法继续推荐", False), ("挂断电话", False)],
        ),
        ("有效的关键话术应当?", "multiple", [("简短", True), ("合规", True), ("夸大优惠", False)]),
    ],
}

# Questions that test competency items of their own; the others count for their course's items
# (curriculum.exam_items). HB0003's C202 exams show the difference on their result page.
QUESTION_ITEMS = {
    ("C202", "投诉处理的第一步是?"): ["communication", "stress-resistance"],
    ("C202", "厘清事实时最有效的方法是?"): ["communication"],
    ("C301", "发起推荐的最佳时机(关键时刻)是?"): ["key-moment"],
    ("C301", "有效的关键话术应当?"): ["key-phrase"],
}

RUNS = {
    "C101": ["2026年第1期", "2026年第2期"],
    "C103": ["2026年第1期"],
    "C202": ["2026年春季班"],
    "C301": ["2026年春季班"],
}


def _items_by_code() -> dict[str, CompetencyItem]:
    return {i.code: i for i in CompetencyItem.objects.all()}


def _load_catalogue(today) -> dict[str, Course]:
    family = PositionFamily.objects.filter(code=FAMILY).first()
    steps = {s.code: s for s in CallStep.objects.all()}
    elements = {}
    for key, (step, name, name_en, specific) in ELEMENTS.items():
        if specific and family is None:
            continue
        elements[key], _ = AbilityElement.objects.update_or_create(
            call_step=steps[step],
            name=name,
            defaults={
                "name_en": name_en,
                "scope": "specific" if specific else "general",
                "position_family": family if specific else None,
                "order": len(elements),
            },
        )
    topics = {}
    for index, (key, (name, name_en, element)) in enumerate(TOPICS.items()):
        topics[key], _ = Topic.objects.update_or_create(
            name=name,
            defaults={"name_en": name_en, "ability_element": elements.get(element), "order": index},
        )
    items = _items_by_code()
    courses = {}
    for code, (title, title_en, item_codes, step_codes, priority, hours) in COURSES.items():
        course, _ = Course.objects.update_or_create(
            code=code,
            defaults={
                "title": title,
                "title_en": title_en,
                "is_priority": priority,
                "duration_hours": Decimal(hours),
                "description": f"{title}。面向热线客服代表,结合真实通话案例讲解与演练。",
                "exam_question_count": 5,
                "pass_mark_percent": 60,
            },
        )
        course.competency_items.set([items[c] for c in item_codes if c in items])
        course.call_steps.set([steps[s] for s in step_codes if s in steps])
        courses[code] = course
    for _level, _name, placements in MAP:
        for topic_key, codes in placements:
            for code in codes:
                courses[code].topics.add(topics[topic_key])
    for code, bank in BANKS.items():
        for text, kind, options in bank:
            question, created = Question.objects.get_or_create(
                course=courses[code], text=text, defaults={"kind": kind}
            )
            if created:
                Option.objects.bulk_create(
                    Option(question=question, text=t, is_correct=ok, order=i)
                    for i, (t, ok) in enumerate(options, start=1)
                )
            own = QUESTION_ITEMS.get((code, text), [])
            question.competency_items.set([items[c] for c in own if c in items])
    for code, names in RUNS.items():
        for i, name in enumerate(names):
            start = today - timedelta(days=60) + timedelta(days=45 * i)
            CourseRun.objects.get_or_create(
                course=courses[code],
                name=name,
                defaults={"starts_on": start, "ends_on": start + timedelta(days=30)},
            )
    if family is not None:
        learning_map, _ = LearningMap.objects.update_or_create(
            position_family=family,
            defaults={"name": "热线客服学习地图", "description": "初级 → 中级 → 高级"},
        )
        for order, (level, name, placements) in enumerate(MAP, start=1):
            stage, _ = MapStage.objects.update_or_create(
                learning_map=learning_map,
                level=level,
                defaults={"name": name, "name_en": level.title(), "order": order},
            )
            for t_order, (topic_key, codes) in enumerate(placements, start=1):
                map_topic, _ = MapTopic.objects.update_or_create(
                    stage=stage, topic=topics[topic_key], defaults={"order": t_order}
                )
                for c_order, code in enumerate(codes, start=1):
                    MapCourse.objects.update_or_create(
                        map_topic=map_topic, course=courses[code], defaults={"order": c_order}
                    )
    return courses


def _complete(employee, course, *, days_ago: int, now):
    enrolment = services.enrolment_create(employee=employee, course=course)
    Enrolment.objects.filter(pk=enrolment.pk).update(enrolled_at=now - timedelta(days=days_ago + 7))
    services.enrolment_complete(
        enrolment=enrolment, actor=employee, when=now - timedelta(days=days_ago)
    )
    return enrolment


def _attend_past_run(employee, course, today):
    """Put the employee's enrolment on a run that has already ended: reaction surveys open
    only when the run ends."""
    run, _ = CourseRun.objects.get_or_create(
        course=course,
        name="往期班",
        defaults={"starts_on": today - timedelta(days=100), "ends_on": today - timedelta(days=70)},
    )
    Enrolment.objects.filter(employee=employee, course=course).update(run=run)


def _exam(employee, course, *, right: int, seed: int):
    attempt = services.exam_attempt_start(employee=employee, course=course, rng=random.Random(seed))
    answers = {}
    for index, item in enumerate(
        attempt.items.select_related("question").prefetch_related("question__options")
    ):
        options = list(item.question.options.all())
        correct = [o.pk for o in options if o.is_correct]
        wrong = [o.pk for o in options if not o.is_correct][:1]
        answers[item.question_id] = correct if index < right else wrong
    return services.exam_attempt_submit(attempt=attempt, employee=employee, answers=answers)


def _rate(leader, employee, today, plan) -> int:
    """Before/after ratings on the employee's position model; returns how many were written."""
    if BehaviourRating.objects.filter(employee=employee).exists():
        return 0
    model = list(
        PositionCompetency.objects.filter(position_id=employee.position_id).select_related("item")[
            :6
        ]
    )
    for index, pc in enumerate(model):
        before, after = plan[index % len(plan)]
        services.behaviour_rating_create(
            rater=leader,
            employee=employee,
            item=pc.item,
            phase="before",
            score=before,
            observed_on=today - timedelta(days=90),
            note="培训前现场观察",
        )
        if after:
            services.behaviour_rating_create(
                rater=leader,
                employee=employee,
                item=pc.item,
                phase="after",
                score=after,
                observed_on=today - timedelta(days=10),
                note="培训后复评",
            )
    return len(model)


ADDED_COURSE = ("C106", "5G 新业务速览", "5G services at a glance")


def _switch_on_incentives() -> None:
    """Training incentives (seeded switched off): the demo shows them at their small defaults
    (priority course 5, finished stage 20 points, each paid once)."""
    from points.models import PointRule

    PointRule.objects.filter(
        code__in=[PointRule.PRIORITY_COURSE_COMPLETED, PointRule.MAP_STAGE_COMPLETED]
    ).update(active=True)


def _show_ladder_rules(courses, today, now) -> None:
    """A learning exam held two weeks after the run (C202's winter run), and a priority course
    a training manager added to 初级 after HB0002–HB0004 had finished it: it shows as new for
    them, 中级 stays open, and completing it pays the priority-course incentive once."""
    CourseRun.objects.get_or_create(
        course=courses["C202"],
        name="2026年冬季班",
        defaults={
            "starts_on": today - timedelta(days=5),
            "ends_on": today + timedelta(days=10),
            "exam_opens_after_days": 14,
        },
    )
    code, title, title_en = ADDED_COURSE
    course, _ = Course.objects.get_or_create(
        code=code,
        defaults={
            "title": title,
            "title_en": title_en,
            "is_priority": True,
            "description": "新上线的 5G 套餐与权益,培训经理在员工完成初级后补充进初级阶段。",
        },
    )
    learning_map = LearningMap.objects.filter(position_family__code=FAMILY).first()
    if learning_map is None:
        return
    map_topic = MapTopic.objects.filter(
        stage__learning_map=learning_map,
        stage__level=StageLevel.JUNIOR,
        topic__name=TOPICS["t-business"][0],
    ).first()
    if map_topic is not None:
        MapCourse.objects.get_or_create(map_topic=map_topic, course=course, defaults={"order": 9})


def load(*, stdout) -> None:
    now = timezone.now()
    today = timezone.localdate()
    courses = _load_catalogue(today)
    _switch_on_incentives()
    staff = {
        u.staff_id: u
        for u in User.objects.filter(
            staff_id__in=["HB0001", "HB0002", "HB0003", "HB0004", "HB9301"]
        )
    }
    leader = staff.get("HB9301")
    written = 0
    if leader is not None and leader.team_id:
        User.objects.filter(staff_id__in=["HB0001", "HB0002", "HB0003", "HB0004"]).update(
            team=leader.team
        )
        staff = {u.staff_id: u for u in User.objects.filter(pk__in=[u.pk for u in staff.values()])}
        leader = staff["HB9301"]
    junior = ["C101", "C102", "C103", "C104", "C105"]
    intermediate = ["C201", "C202", "C203", "C204", "C205"]

    hb1 = staff.get("HB0001")
    if hb1 and not hb1.enrolments.exists():
        services.enrolment_create(employee=hb1, course=courses["C101"])
        services.enrolment_create(employee=hb1, course=courses["C102"])
        _complete(hb1, courses["C105"], days_ago=3, now=now)
        written += 1
    hb2 = staff.get("HB0002")
    if hb2 and not hb2.enrolments.exists():
        for i, code in enumerate(c for c in junior if c != "C103"):
            _complete(hb2, courses[code], days_ago=120 - 10 * i, now=now)
        services.enrolment_create(employee=hb2, course=courses["C103"])
        _exam(hb2, courses["C103"], right=4, seed=2)  # 80% ≥ 60%: passing completes the course
        services.enrolment_create(employee=hb2, course=courses["C201"])
        written += 1
    hb3 = staff.get("HB0003")
    if hb3 and not hb3.enrolments.exists():
        for i, code in enumerate(junior + ["C201"]):
            _complete(hb3, courses[code], days_ago=200 - 10 * i, now=now)
        services.enrolment_create(employee=hb3, course=courses["C202"])
        _exam(hb3, courses["C202"], right=2, seed=3)  # 40%: not passed
        _exam(hb3, courses["C202"], right=5, seed=4)
        written += 1
    hb4 = staff.get("HB0004")
    if hb4 and not hb4.enrolments.exists():
        for i, code in enumerate(junior + intermediate):
            _complete(hb4, courses[code], days_ago=300 - 12 * i, now=now)
        services.enrolment_create(employee=hb4, course=courses["C301"])
        written += 1
    for employee, code, scores, comment in [
        (hb2, "C101", (5, 4, 5), "案例贴近实际,收获很大。"),
        (hb3, "C201", (4, 4, 5), "情绪安抚话术很实用,希望增加演练时间。"),
        (hb4, "C202", (5, 5, 4), ""),
        (hb4, "C101", (4, 3, 4), "内容偏基础。"),
    ]:
        if (
            employee
            and not SurveyResponse.objects.filter(employee=employee, course=courses[code]).exists()
        ):
            _attend_past_run(employee, courses[code], today)
            services.survey_response_create(
                employee=employee,
                course=courses[code],
                content_score=scores[0],
                format_score=scores[1],
                usefulness_score=scores[2],
                comment=comment,
            )
    _show_ladder_rules(courses, today, now)
    ratings = 0
    if leader is not None and leader.team_id:
        for employee, plan in [
            (hb1, [(2, None), (3, None)]),
            (hb2, [(2, 3), (3, 4), (2, 2)]),
            (hb3, [(2, None), (3, None)]),  # 投诉处理代表: the re-test's remedial plan
            (hb4, [(3, 4), (2, 4), (3, 3)]),
        ]:
            if employee and employee.position_id and same_team.test(leader, employee):
                ratings += _rate(leader, employee, today, plan)
        if hb4 and not ImprovementPlanItem.objects.filter(employee=hb4).exists():
            services.improvement_plan_item_create(
                employee=hb4,
                created_by=leader,
                action="完成《服务营销意识与关键时刻把握》并在班组内分享一次案例",
                course=courses["C301"],
                due_on=today + timedelta(days=30),
            )
            services.improvement_plan_item_create(
                employee=hb4,
                created_by=leader,
                action="每周抽听3通本人营销录音,与班长复盘关键话术",
                due_on=today + timedelta(days=60),
            )
    stdout.write(
        f"curriculum: {Course.objects.count()} courses, {LearningMap.objects.count()} learning "
        f"map(s), {Question.objects.count()} exam questions, {Enrolment.objects.count()} "
        f"enrolments, {ExamAttempt.objects.count()} exam attempts, {written} new sample "
        f"trajectories, {ratings} items rated"
    )
