"""Demo committee: operations managers appointed, two senior CSRs as members, one KB revision
applied through three real votes (each approving member chose the proposer's points), a few
open proposals, a case created with a named colleague and accepted, its open quality-case
application, and an open committee application of a senior CSR.

Then the review experts 评审专家 per category, assigned by the training manager HB9001 (after
the votes above, which members cast before there were experts): three experts each for the
KB categories "套餐资费" and "号码业务" and the case category "投诉升级" (so only they decide
proposals filed there, subcategories included — the open 携号转网 revision and the open
quality-case application), one for "家庭宽带" and "情绪安抚" (too few: any member decides).
The new CSR HB0001 has three decided KB revisions and so notifications: one accepted (with
its points), one outdated by a colleague's revision of the same entry, one rejected.

For the reviewer insights: the members HB0005 and HB0006 approved three KB revisions of each
other, two of each the rest of the committee rejected (a reciprocal pair: low agreement,
flagged under the default settings; the first of each was applied, so flagged votes were paid);
HB9203 approved five KB revisions of HB0003 in a row on one day, three of which the rest of
the committee rejected (serial voting, flagged under the default settings: at least five votes
on one proposer's proposals on one day; two applied, so points were paid); and calibration
rounds: HB9202 answered one (matching the committee), HB9203's item waits in their queue.
Finally the proposals are back-dated and the votes spread over the hours after them, so each
member has their own median time to vote."""

from accounts.models import User
from casebase.demo import demo_tree
from casebase.models import Case, CaseCategory
from casebase.selectors import KIND_QUALITY
from casebase.services.proposals import case_new_propose
from casebase.services.quality import quality_case_apply
from knowledgebase.models import Category, Entry
from knowledgebase.services import kb_entry_propose, kb_revision_propose
from review.models import CommitteeApplication, CommitteeMembership, Proposal, ReviewExpertise, Vote
from review.selectors import committee_eligibility
from review.services import (
    committee_application_submit,
    committee_member_appoint,
    expertise_assign,
    proposal_vote,
)

MEMBERS = ["HB9201", "HB9202", "HB9203", "HB0005", "HB0006"]

APPLIED = (
    "HB0003",
    "流量加油包办理",
    (
        "流量加油包分为日包、月包两类：日包1GB 3元，当日24点前有效；月包10GB 30元，当月有效。"
        "加油包优先于套餐内流量使用，不可转赠，不可结转至次月。"
    ),
    "补充日包的具体截止时间，客户经常问到几点失效。",
    [("HB0005", 4), ("HB0006", 5), ("HB9201", 3)],
)

OPEN_REVISIONS = [
    ("HB0004", "携号转网办理条件", None, "把“入网满120天”放到第一条，客户最常卡在这里。"),
    ("HB0002", "宽带故障报修", "光猫 红灯", "增加关键词“光猫 红灯”，客户常这样描述。"),
]
OPEN_NEW = (
    "HB0003",
    "5G消息介绍",
    "5G消息 富媒体短信",
    "5G消息是基于原生短信入口的富媒体消息，支持图片、视频和卡片，手机需支持5G消息功能，使用产生的流量按套餐计费。",
    "客户问到5G消息时知识库里没有口径。",
)

APPROVE, REJECT = Vote.Decision.APPROVE, Vote.Decision.REJECT


# (tree, category code, expert staff IDs): three experts (= approvals required) decide alone.
EXPERTS = [
    ("kb", "tariff", ["HB9201", "HB9202", "HB0005"]),
    ("kb", "number", ["HB9203", "HB0006", "HB0005"]),
    ("kb", "broadband", ["HB0006"]),
    ("case", "complaint", ["HB9203", "HB0006", "HB9202"]),
    ("case", "emotion", ["HB0005"]),
]
EXPERTS_ASSIGNED_BY = "HB9001"

# HB0001's decided revisions: (entry title, reason, outcome)
NEWCOMER = "HB0001"
NEWCOMER_REVISIONS = [
    ("话费余额查询", "演示：补充短信查询余额的指令。", "applied"),
    ("副卡办理规则", "演示：写明副卡数量上限。", "stale"),
    ("国际漫游开通方式", "演示：删掉过时的营业厅办理说明。", "rejected"),
]
NEWCOMER_OUTDATING_REASON = "演示：副卡资费说明更新。"


def load(*, stdout) -> None:
    made_after = Proposal.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    users = {
        u.staff_id: u
        for u in User.objects.filter(
            staff_id__in=MEMBERS + ["HB0002", "HB0003", "HB0004", NEWCOMER, EXPERTS_ASSIGNED_BY]
        )
    }
    for staff_id in MEMBERS:
        # Nobody appoints themselves: HB9201 is appointed by HB9202, everyone else by HB9201.
        appointer = users["HB9202" if staff_id == "HB9201" else "HB9201"]
        if not CommitteeMembership.objects.filter(member=users[staff_id], active=True).exists():
            committee_member_appoint(member=users[staff_id], appointed_by=appointer)

    proposer, title, body, reason, voters = APPLIED
    if not Proposal.objects.filter(reason=reason).exists():
        entry = Entry.objects.get(title=title)
        proposal = kb_revision_propose(
            proposer=users[proposer],
            entry_id=entry.pk,
            base_version=entry.version,
            title=entry.title,
            body=body,
            keywords=entry.keywords,
            category_id=entry.category_id,
            reason=reason,
        )
        for staff_id, points in voters:
            proposal_vote(
                proposal_id=proposal.pk,
                reviewer=users[staff_id],
                decision=APPROVE,
                comment="同意",
                extra={"points": points},
            )

    for proposer, title, extra_keywords, reason in OPEN_REVISIONS:
        if Proposal.objects.filter(reason=reason).exists():
            continue
        entry = Entry.objects.get(title=title)
        body = entry.body
        if "120天" in reason:
            body = (
                "携号转网需满足：入网满120天、号码为实名登记、无欠费、不在合约期内、未办理担保或融合业务限制。"
                "客户可发送“CXXZ#姓名#证件号码”至10086查询是否符合条件。"
            )
        keywords = f"{entry.keywords} {extra_keywords}" if extra_keywords else entry.keywords
        proposal = kb_revision_propose(
            proposer=users[proposer],
            entry_id=entry.pk,
            base_version=entry.version,
            title=entry.title,
            body=body,
            keywords=keywords,
            category_id=entry.category_id,
            reason=reason,
        )
        proposal_vote(
            proposal_id=proposal.pk,
            reviewer=users["HB0006"],
            decision=APPROVE,
            comment="表述更清楚",
            extra={"points": 3},
        )

    proposer, title, keywords, body, reason = OPEN_NEW
    if not Proposal.objects.filter(reason=reason).exists():
        category_id = Entry.objects.get(title="视频彩铃办理与退订").category_id
        kb_entry_propose(
            proposer=users[proposer],
            title=title,
            body=body,
            keywords=keywords,
            category_id=category_id,
            reason=reason,
        )
    _quality_case(users)
    _committee_application(users)
    _newcomer_decisions(users)
    _reciprocal_pair(users)
    _serial_votes(users)
    _experts(users)
    _calibration(users)
    _vote_times(made_after=made_after)
    stdout.write(
        f"review: {CommitteeMembership.objects.filter(active=True).count()} committee members, "
        f"{ReviewExpertise.objects.count()} expert assignments, "
        f"{Proposal.objects.count()} proposals ({Proposal.objects.open().count()} open)"
    )


QUALITY_CASE = (
    "HB0004",
    ["HB0002"],
    "宽带报修三次未修好的客户",
    "演示：宽带反复报修客户的安抚与升级处理",
    [("HB9201", 40), ("HB9202", 35), ("HB0006", 30)],
    "这个案例把“先认错、再给确定时间、最后主动回访”讲得很完整，李思远补充了回访那一段。",
)
COMMITTEE_APPLICANT_REASONS = ["演示：补充宽带移机所需材料。", "演示：写明电子发票的开具时限。"]
COMMITTEE_STATEMENT = "做了五年投诉处理，熟悉资费和宽带口径，希望参与评审。"


def _quality_case(users: dict) -> None:
    """A case HB0004 created with HB0002, accepted with the members' level, set and points,
    and HB0004's open application for its quality-case review (one member approved it,
    choosing 8 points per contributor and HB0004 as the outstanding one)."""
    proposer, participants, title, reason, approvals, statement = QUALITY_CASE
    category = CaseCategory.objects.filter(code="complaint").first()
    proposal = Proposal.objects.filter(reason=reason).first()
    if category is None:
        return  # the case-library demo was not loaded
    if proposal is None:
        proposal = case_new_propose(
            proposer=users[proposer],
            kind=Case.Kind.TEXT,
            title=title,
            category_id=category.pk,
            reason=reason,
            background="客户宽带一周内报修三次，每次都说修好了但晚上又断网。",
            tree=demo_tree(5, title),
            suggested_level=2,
            participants=participants,
        )
        for staff_id, points in approvals:
            proposal_vote(
                proposal_id=proposal.pk,
                reviewer=users[staff_id],
                decision=APPROVE,
                comment="典型",
                extra={"level": 2, "split": "training", "points": points},
            )
        proposal.refresh_from_db()
    if (
        not Proposal.objects.filter(kind=KIND_QUALITY, reason=statement).exists()
        and proposal.target_id
    ):
        application = quality_case_apply(
            applicant=users[proposer], case_id=proposal.target_id, statement=statement
        )
        proposal_vote(
            proposal_id=application.pk,
            reviewer=users["HB9203"],
            decision=APPROVE,
            comment="示范性强",
            extra={"points": 8, "outstanding": users[proposer].pk},
        )


def _committee_application(users: dict) -> None:
    """The first generated senior CSR (level ≥ 4, not a member) gets two KB revisions
    accepted (pass rate 100 %) and applies to join the committee; one member approved."""
    applicant = (
        User.objects.filter(staff_id__startswith="HB01", level__gte=4, is_active=True)
        .exclude(committee_memberships__active=True)
        .order_by("staff_id")
        .first()
    )
    if applicant is None or CommitteeApplication.objects.filter(applicant=applicant).exists():
        return
    busy = [
        "流量加油包办理",
        "携号转网办理条件",
        "宽带故障报修",
        *(title for title, *_rest in NEWCOMER_REVISIONS),
    ]
    for reason, entry in zip(
        COMMITTEE_APPLICANT_REASONS,
        Entry.objects.exclude(title__in=busy).order_by("-pk"),
        strict=False,
    ):
        if Proposal.objects.filter(reason=reason).exists():
            continue
        proposal = kb_revision_propose(
            proposer=applicant,
            entry_id=entry.pk,
            base_version=entry.version,
            title=entry.title,
            body=entry.body + "（已补充）",
            keywords=entry.keywords,
            category_id=entry.category_id,
            reason=reason,
        )
        for staff_id, points in [("HB9201", 3), ("HB9202", 4), ("HB9203", 3)]:
            proposal_vote(
                proposal_id=proposal.pk,
                reviewer=users[staff_id],
                decision=APPROVE,
                comment="同意",
                extra={"points": points},
            )
    if committee_eligibility(applicant).eligible:
        application = committee_application_submit(
            applicant=applicant, statement=COMMITTEE_STATEMENT
        )
        proposal_vote(
            proposal_id=application.proposal_id,
            reviewer=users["HB0006"],
            decision=APPROVE,
            comment="业务扎实",
        )


def _revise(proposer, entry, *, body: str, reason: str):
    entry.refresh_from_db()
    return kb_revision_propose(
        proposer=proposer,
        entry_id=entry.pk,
        base_version=entry.version,
        title=entry.title,
        body=body,
        keywords=entry.keywords,
        category_id=entry.category_id,
        reason=reason,
    )


def _newcomer_decisions(users: dict) -> None:
    """HB0001's three revisions, decided before any expert is assigned: accepted (3
    approvals with points), outdated (HB0002's revision of the same entry is accepted
    first), rejected (2 rejections). Each decision notifies HB0001 (and pays the members)."""
    newcomer = users.get(NEWCOMER)
    if newcomer is None:
        return
    approvers = [("HB9201", 3), ("HB9202", 4), ("HB9203", 3)]
    for title, reason, outcome in NEWCOMER_REVISIONS:
        if Proposal.objects.filter(reason=reason).exists():
            continue
        entry = Entry.objects.filter(title=title).first()
        if entry is None:
            continue
        proposal = _revise(newcomer, entry, body=entry.body + "（演示修订）", reason=reason)
        if outcome == "applied":
            for staff_id, points in approvers:
                proposal_vote(
                    proposal_id=proposal.pk,
                    reviewer=users[staff_id],
                    decision=APPROVE,
                    comment="同意",
                    extra={"points": points},
                )
        elif outcome == "stale":
            other = _revise(
                users["HB0002"],
                entry,
                body=entry.body + "（资费已更新）",
                reason=NEWCOMER_OUTDATING_REASON,
            )
            for staff_id, points in approvers:
                proposal_vote(
                    proposal_id=other.pk,
                    reviewer=users[staff_id],
                    decision=APPROVE,
                    comment="同意",
                    extra={"points": points},
                )
        else:
            for staff_id in ["HB0005", "HB0006"]:
                proposal_vote(
                    proposal_id=proposal.pk,
                    reviewer=users[staff_id],
                    decision=REJECT,
                    comment="营业厅办理仍然有效，不能删。",
                )


def _experts(users: dict) -> None:
    """EXPERTS, assigned by the training manager (skipped when already assigned)."""
    from casebase.models import CaseCategory

    assigner = users.get(EXPERTS_ASSIGNED_BY)
    if assigner is None:
        return
    for tree, code, staff_ids in EXPERTS:
        model = Category if tree == "kb" else CaseCategory
        category = model.objects.filter(code=code).first()
        if category is None:
            continue
        field = "kb_category" if tree == "kb" else "case_category"
        for staff_id in staff_ids:
            member = users[staff_id]
            if not ReviewExpertise.objects.filter(member=member, **{field: category}).exists():
                expertise_assign(member=member, category=category, assigned_by=assigner)


# (proposer, the friend who approves, the two members who reject): three revisions each. The
# first revision of each is approved by the two members as well (so it is applied and the
# friend is paid review points for it: something an operations manager can reverse).
RECIPROCAL = [
    ("HB0005", "HB0006", ["HB9201", "HB9202"]),
    ("HB0006", "HB0005", ["HB9202", "HB9203"]),
]
RECIPROCAL_APPLIED = 1  # the revision number the two members approve
RECIPROCAL_REASON = "演示：互评——{proposer} 的第 {n} 条修订。"


def _reciprocal_pair(users: dict) -> None:
    """HB0005 and HB0006 each propose three KB revisions; the other approves every one, two
    other members reject the second and third (so they are rejected) and approve the first
    (applied: the friend's review points and the proposer's reward are paid). Decided before
    experts are assigned."""
    if Proposal.objects.filter(reason__startswith="演示：互评").exists():
        return
    busy = [
        "流量加油包办理",
        "携号转网办理条件",
        "宽带故障报修",
        *(title for title, *_rest in NEWCOMER_REVISIONS),
    ]
    entries = iter(Entry.objects.not_retired().exclude(title__in=busy).order_by("pk"))
    for proposer, friend, rejecters in RECIPROCAL:
        for n in range(1, 4):
            entry = next(entries, None)
            if entry is None:
                return
            proposal = _revise(
                users[proposer],
                entry,
                body=entry.body + "（互评修订）",
                reason=RECIPROCAL_REASON.format(proposer=proposer, n=n),
            )
            proposal_vote(
                proposal_id=proposal.pk,
                reviewer=users[friend],
                decision="approve",
                comment="同意",
                extra={"points": 5},
            )
            applied = n == RECIPROCAL_APPLIED
            for staff_id in rejecters:
                proposal_vote(
                    proposal_id=proposal.pk,
                    reviewer=users[staff_id],
                    decision=APPROVE if applied else REJECT,
                    comment="补充合理" if applied else "改动没有依据，原口径正确。",
                    extra={"points": 4} if applied else None,
                )


# (proposer, the member who approves every one in a row, the pairs of members who vote on each
# after them): five revisions of billing and membership entries, which no expert panel gates.
# The pair rejects three (rejected) and approves the first and fourth (applied: HB9203 is paid
# review points for them, HB0003 a reward). The members take turns so that none of them votes
# five times on HB0003 in the day.
SERIAL = (
    "HB0003",
    "HB9203",
    [
        ("HB9201", "HB9202"),
        ("HB9202", "HB0005"),
        ("HB0005", "HB9201"),
        ("HB9201", "HB9202"),
        ("HB9202", "HB0005"),
    ],
)
SERIAL_APPLIED = (1, 4)  # the revision numbers the pair approves
SERIAL_REASON = "演示：连续评审——{proposer} 的第 {n} 条修订。"
SERIAL_CATEGORIES = ["billing-pay", "billing-query", "points", "vas"]


def _serial_votes(users: dict) -> None:
    """HB0003 proposes five KB revisions; HB9203 approves all five one after the other (the
    same local day: the serial-voting flag, five votes ≥ s = 5), two other members reject
    three of them (rejected) and approve two (applied, SERIAL_APPLIED). Decided before
    experts are assigned."""
    if Proposal.objects.filter(reason__startswith="演示：连续评审").exists():
        return
    proposer, voter, rejecters = SERIAL
    busy = [
        "流量加油包办理",
        "携号转网办理条件",
        "宽带故障报修",
        *(title for title, *_rest in NEWCOMER_REVISIONS),
    ]
    entries = list(
        Entry.objects.not_retired()
        .filter(category__code__in=SERIAL_CATEGORIES)
        .exclude(title__in=busy)
        .order_by("pk")[: len(rejecters)]
    )
    if len(entries) < len(rejecters):
        return  # the knowledge-base demo was not loaded
    for n, (entry, pair) in enumerate(zip(entries, rejecters, strict=True), start=1):
        proposal = _revise(
            users[proposer],
            entry,
            body=entry.body + "（连续评审演示）",
            reason=SERIAL_REASON.format(proposer=proposer, n=n),
        )
        proposal_vote(
            proposal_id=proposal.pk,
            reviewer=users[voter],
            decision=APPROVE,
            comment="同意",
            extra={"points": 3},
        )
        applied = n in SERIAL_APPLIED
        for staff_id in pair:
            proposal_vote(
                proposal_id=proposal.pk,
                reviewer=users[staff_id],
                decision=APPROVE if applied else REJECT,
                comment="同意" if applied else "改动没有依据，原口径正确。",
                extra={"points": 3} if applied else None,
            )


def _calibration(users: dict) -> None:
    """A calibration round on the applied APPLIED revision for HB9202, who did not vote on it
    (answered: approve, matching the committee), and one on the first decided proposal HB9203
    may take (pending in their queue). Skipped for a member who already has an item."""
    from review.calibration import (
        calibration_answer,
        calibration_round_create,
        decided_proposals,
        eligible_members,
    )
    from review.models import CalibrationAssignment

    manager = users.get(EXPERTS_ASSIGNED_BY)
    applied = Proposal.objects.filter(reason=APPLIED[3], status=Proposal.Status.APPLIED).first()
    if manager is None or applied is None:
        return
    for staff_id, answer in (("HB9202", True), ("HB9203", False)):
        member = users[staff_id]
        if CalibrationAssignment.objects.filter(member=member).exists():
            continue
        proposal = next(
            (
                p
                for p in [applied, *decided_proposals()[:30]]
                if eligible_members(p, created_by=manager).filter(pk=member.pk).exists()
            ),
            None,
        )
        if proposal is None:
            continue
        calibration_round_create(
            proposal_id=proposal.pk,
            members=[member],
            created_by=manager,
            note="演示：已决提议的校准题",
        )
        if answer:
            item = CalibrationAssignment.objects.get(proposal=proposal, member=member)
            calibration_answer(
                assignment_id=item.pk,
                member=member,
                decision=item.round.expected,
                comment="同意" if item.round.expected == "approve" else "依据不足",
                extra={"points": 4},
            )


# How long each member typically takes to vote after a proposal is submitted (hours): the
# median time to vote of the reviewer insights.
VOTE_LAG_HOURS = {"HB9201": 2, "HB9202": 7, "HB9203": 16, "HB0005": 24, "HB0006": 4}


def _vote_times(*, made_after: int) -> None:
    """Everything above was proposed and voted within the same minute; a real proposal waits
    for its votes. Each proposal made now (id above ``made_after``: never one a person made
    on a development database) with votes is back-dated 36–71 hours (by its place in id
    order) and each vote placed at the proposal's submission plus its member's lag
    (VOTE_LAG_HOURS, 0.6–1.4 times, by its place): a distinct median time to vote per member.
    The vote that decided a proposal keeps its moment (the decision, its entry change and its
    points happened then), and so do the serial votes (the flag is about one day: today).
    Once: a proposal already submitted more than ten minutes before its first vote is left as
    it is."""
    from datetime import timedelta

    from django.db.models import Min

    serial = Proposal.objects.filter(reason__startswith="演示：连续评审").values_list(
        "pk", flat=True
    )
    serial = set(serial)
    proposals = list(
        Proposal.objects.filter(pk__gt=made_after)
        .annotate(first_vote=Min("votes__created_at"))
        .filter(first_vote__isnull=False)
    )
    fresh = [p for p in proposals if p.first_vote - p.created_at < timedelta(minutes=10)]
    if not fresh:
        return
    votes: dict[int, list[Vote]] = {}
    for vote in (
        Vote.objects.filter(proposal__in=fresh)
        .select_related("reviewer")
        .order_by("created_at", "pk")
    ):
        votes.setdefault(vote.proposal_id, []).append(vote)
    moved = []
    for n, proposal in enumerate(sorted(fresh, key=lambda p: p.pk)):
        proposal.created_at -= timedelta(hours=36 + n * 17 % 36)
        if proposal.pk in serial:
            continue
        own = votes.get(proposal.pk, [])
        if proposal.decided_at is not None:
            own = own[:-1]  # the deciding vote stays at the decision
        for vote in own:
            spread = 0.6 + len(moved) * 7 % 9 / 10
            lag = VOTE_LAG_HOURS.get(vote.reviewer.staff_id, 10) * spread
            vote.created_at = proposal.created_at + timedelta(hours=lag)
            moved.append(vote)
    Proposal.objects.bulk_update(fresh, ["created_at"])
    Vote.objects.bulk_update(moved, ["created_at"])
