"""Demo points: half a year of ledger history for the demo employees (so balances, the chart
and the leaderboard look real), rationalisation proposals (one judged), a QC topic with a
group, one imported volunteer sheet and one sheet above the confirmation threshold waiting for a
second manager (imported by HB9001; HB9201 may confirm it on /points/volunteer/). Safe to run
again (unique sources and keys)."""

import random
from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from points import services
from points.models import PointRule, PointsEntry, QCTopic, RationalisationProposal, VolunteerSheet

# (rule code, weight) of what CSRs typically earn; reviewers also earn committee points.
CSR_ACTIONS = [
    ("kb_revision_accepted", 5),
    ("case_revised", 3),
    ("case_created", 1),
    ("quality_case_participant", 2),
    ("volunteer_sheet", 2),
]
REVIEWER_ACTIONS = [("committee_kb_review", 4), ("committee_case_review", 2)]

PROPOSALS = [
    (
        "HB0002",
        "常用口径做成快捷短语",
        "高频问题的标准口径做成一键插入的快捷短语，减少打字时间，缩短通话后处理。",
    ),
    ("HB0003", "夜班交接增加未结工单清单", "夜班交接时导出未结工单清单，避免客户重复来电。"),
    ("HB0104", "投诉回访话术统一", "投诉回访时使用统一的开场白和致歉话术。"),
]
SHEET_NAME = "食堂志愿服务-上周.csv"
PENDING_SHEET_NAME = "食堂志愿服务-上上周汇总.csv"
# Six people on five days at 40 points: 1,200 points, above the default threshold of 1,000.
PENDING_SHEET_PEOPLE = ["HB0001", "HB0002", "HB0003", "HB0004", "HB0104", "HB0105"]
TOPIC = ("降低宽带报修重复来电率", "分析近三个月宽带报修的重复来电原因，提出并试行改进措施。", 80)


def _history(rng: random.Random, users: list[User], rules: dict[str, PointRule]) -> int:
    now = timezone.now()
    created = 0
    for user in users:
        actions = CSR_ACTIONS + (
            REVIEWER_ACTIONS if user.groups.filter(name="Reviewer").exists() else []
        )
        codes, weights = zip(*actions, strict=True)
        for n in range(4 + 3 * user.level + rng.randint(0, 4)):
            code = rng.choices(codes, weights=weights)[0]
            rule = rules[code]
            amount = rng.randint(rule.min_amount, rule.max_amount or rule.min_amount + 20)
            when = now - timedelta(days=rng.randint(1, 180), hours=rng.randint(0, 10))
            _, was_created = PointsEntry.objects.get_or_create(
                source=f"demo:{user.staff_id}:{n}",
                defaults={
                    "employee": user,
                    "amount": rule.resolve_amount(amount),
                    "rule": rule,
                    "note": "演示数据",
                    "created_at": when,
                },
            )
            created += was_created
    return created


def load(*, stdout) -> None:
    rng = random.Random(6)
    rules = {r.code: r for r in PointRule.objects.all()}
    users = list(User.objects.filter(groups__name="CSR").distinct().order_by("staff_id"))
    created = _history(rng, users, rules)
    people = {
        u.staff_id: u
        for u in User.objects.filter(
            staff_id__in=[
                "HB9001",
                "HB9201",
                "HB0001",
                "HB0002",
                "HB0003",
                "HB0004",
                "HB0104",
                "HB0105",
            ]
        )
    }
    manager = people["HB9001"]

    for staff_id, title, description in PROPOSALS:
        proposer = people.get(staff_id)
        if proposer and not RationalisationProposal.objects.filter(title=title).exists():
            services.rationalisation_submit(proposer=proposer, title=title, description=description)
    first = RationalisationProposal.objects.filter(
        title=PROPOSALS[0][1], status=RationalisationProposal.Status.SUBMITTED
    ).first()
    if first is not None:
        services.rationalisation_judge(
            proposal_id=first.pk,
            judge=manager,
            verdict="feasible",
            amount=120,
            comment="已在服务一班试行，效果明显。",
        )

    title, description, points = TOPIC
    topic = QCTopic.objects.filter(title=title).first() or services.qc_topic_publish(
        by=manager, title=title, description=description, points_per_member=points
    )
    if not topic.groups.exists():
        services.qc_group_claim(
            topic_id=topic.pk,
            creator=people["HB0004"],
            name="宽带攻坚组",
            member_staff_ids=["HB0001", "HB0002", "HB0003"],
        )

    # Last week's canteen sheet: one row per person and day (see points.sheets).
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday() + 7)
    sheet_rows = [
        ("HB0001", 0, "3", "15"),
        ("HB0002", 1, "2", "10"),
        ("HB0104", 2, "4.5", "20"),
        ("HB0105", 4, "1.5", "5"),
    ]
    content = (
        "工号,日期,时长,积分,备注\n"
        + "".join(
            f"{s},{(monday + timedelta(days=d)).isoformat()},{h},{p},食堂帮厨\n"
            for s, d, h, p in sheet_rows
        )
    ).encode()
    if not VolunteerSheet.objects.filter(file_name=SHEET_NAME).exists():
        services.volunteer_sheet_import(file_name=SHEET_NAME, content=content, imported_by=manager)
    # The week before: a big sheet that waits for a second manager (PointsSettings threshold).
    earlier = monday - timedelta(days=7)
    content = (
        "工号,日期,时长,积分,备注\n"
        + "".join(
            f"{s},{(earlier + timedelta(days=d)).isoformat()},8,40,食堂帮厨（全天）\n"
            for s in PENDING_SHEET_PEOPLE
            for d in range(5)
        )
    ).encode()
    if not VolunteerSheet.objects.filter(file_name=PENDING_SHEET_NAME).exists():
        services.volunteer_sheet_import(
            file_name=PENDING_SHEET_NAME, content=content, imported_by=manager
        )

    stdout.write(
        f"points: {PointsEntry.objects.count()} ledger entries ({created} new), "
        f"{RationalisationProposal.objects.count()} proposals, {QCTopic.objects.count()} QC "
        f"topic(s), {VolunteerSheet.objects.count()} volunteer sheet(s), "
        f"{VolunteerSheet.objects.filter(status=VolunteerSheet.Status.PENDING).count()} "
        "awaiting confirmation"
    )
