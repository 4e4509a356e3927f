"""Demo committee: operations managers appointed, two senior CSRs as members, one KB revision
applied through three real votes (so the entry has history), and a few open proposals."""

from accounts.models import User
from knowledgebase.models import Entry
from knowledgebase.services import kb_entry_propose, kb_revision_propose
from review.models import CommitteeMembership, Proposal
from review.services import committee_member_appoint, proposal_vote

MEMBERS = ["HB9201", "HB9202", "HB9203", "HB0005", "HB0006"]

APPLIED = ("HB0003", "流量加油包办理", (
    "流量加油包分为日包、月包两类：日包1GB 3元，当日24点前有效；月包10GB 30元，当月有效。"
    "加油包优先于套餐内流量使用，不可转赠，不可结转至次月。"
), "补充日包的具体截止时间，客户经常问到几点失效。", ["HB0005", "HB0006", "HB9201"])

OPEN_REVISIONS = [
    ("HB0004", "携号转网办理条件", None, "把“入网满120天”放到第一条，客户最常卡在这里。"),
    ("HB0002", "宽带故障报修", "光猫 红灯", "增加关键词“光猫 红灯”，客户常这样描述。"),
]
OPEN_NEW = ("HB0003", "5G消息介绍", "5G消息 富媒体短信",
            "5G消息是基于原生短信入口的富媒体消息，支持图片、视频和卡片，手机需支持5G消息功能，使用产生的流量按套餐计费。",
            "客户问到5G消息时知识库里没有口径。")


def load(*, stdout) -> None:
    users = {u.staff_id: u for u in User.objects.filter(staff_id__in=MEMBERS + ["HB0002", "HB0003", "HB0004"])}
    appointer = users["HB9201"]
    for staff_id in MEMBERS:
        if not CommitteeMembership.objects.filter(member=users[staff_id], active=True).exists():
            committee_member_appoint(member=users[staff_id], appointed_by=appointer)

    proposer, title, body, reason, voters = APPLIED
    if not Proposal.objects.filter(reason=reason).exists():
        entry = Entry.objects.get(title=title)
        proposal = kb_revision_propose(proposer=users[proposer], entry_id=entry.pk, base_version=entry.version,
                                       title=entry.title, body=body, keywords=entry.keywords,
                                       category_id=entry.category_id, reason=reason)
        for staff_id in voters:
            proposal_vote(proposal_id=proposal.pk, reviewer=users[staff_id], decision="approve", comment="同意")

    for proposer, title, extra_keywords, reason in OPEN_REVISIONS:
        if Proposal.objects.filter(reason=reason).exists():
            continue
        entry = Entry.objects.get(title=title)
        body = entry.body
        if "120天" in reason:
            body = "携号转网需满足：入网满120天、号码为实名登记、无欠费、不在合约期内、未办理担保或融合业务限制。" \
                   "客户可发送“CXXZ#姓名#证件号码”至10086查询是否符合条件。"
        keywords = f"{entry.keywords} {extra_keywords}" if extra_keywords else entry.keywords
        proposal = kb_revision_propose(proposer=users[proposer], entry_id=entry.pk, base_version=entry.version,
                                       title=entry.title, body=body, keywords=keywords,
                                       category_id=entry.category_id, reason=reason)
        proposal_vote(proposal_id=proposal.pk, reviewer=users["HB0006"], decision="approve", comment="表述更清楚")

    proposer, title, keywords, body, reason = OPEN_NEW
    if not Proposal.objects.filter(reason=reason).exists():
        category_id = Entry.objects.get(title="视频彩铃办理与退订").category_id
        kb_entry_propose(proposer=users[proposer], title=title, body=body, keywords=keywords,
                         category_id=category_id, reason=reason)
    stdout.write(f"review: {CommitteeMembership.objects.filter(active=True).count()} committee members, "
                 f"{Proposal.objects.count()} proposals ({Proposal.objects.open().count()} open)")
