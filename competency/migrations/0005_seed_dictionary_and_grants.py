"""Seed the competency dictionary (DOMAIN.md §1) and give training managers the competency models.

Items are updated by code, so re-running on a database that already has them only refreshes
names and descriptions; editing them later happens in admin.
"""

from django.db import migrations

from accounts.migration_helpers import grant_permissions, revoke_permissions

GRANTS = {"Training manager": ["competency.*"]}

MODULES = [
    # code, name, name_en, order
    ("service", "服务", "Service", 1),
    ("marketing", "营销", "Marketing", 2),
    ("management", "管理", "Management", 3),
]

# module, code, name, name_en, KSAO section, Spencer kind, description
ITEMS = [
    ("service", "service-cognition", "服务认知", "Service cognition", "A", "self_concept",
     "服务态度与服务意识:认同“以客户为中心”,把为客户解决问题视为本职工作的价值所在。"),
    ("service", "product-knowledge", "产品与业务知识", "Product and service knowledge", "K", "knowledge",
     "专业服务:熟悉资费、套餐、业务规则与办理流程,能准确查询知识库口径并正确解释。"),
    ("service", "communication", "沟通能力", "Communication", "S", "skill",
     "专业服务:倾听、提问与确认,准确识别客户需求,让对话始终围绕问题的解决。"),
    ("service", "expression", "表达能力", "Verbal expression", "S", "skill",
     "专业服务:用清晰、简洁、礼貌的语言解释业务,语速语调得当,避免专业术语造成误解。"),
    ("service", "adaptability", "应变能力", "Adaptability", "S", "skill",
     "专业服务:面对突发问题、非常规诉求和系统异常时能灵活调整处理方式。"),
    ("service", "stress-resistance", "抗压能力", "Stress resistance", "A", "trait",
     "专业服务:在高话务量、客户情绪激动和考核压力下保持情绪稳定与服务质量。"),
    ("service", "complaint-handling", "投诉处理", "Complaint handling", "S", "skill",
     "专业服务:安抚情绪、厘清事实、给出合理方案并跟进闭环,防止投诉升级。"),
    ("service", "customer-orientation", "客户导向", "Customer orientation", "A", "motive",
     "以客户需求为出发点的行为:主动发现并满足客户未说出的需求,超出预期地提供帮助。"),
    ("marketing", "cross-selling-awareness", "交叉营销意识", "Cross-selling awareness", "A", "motive",
     "服务营销:在服务中主动寻找营销机会,认同“服务即营销”。"),
    ("marketing", "cross-selling-habit", "交叉营销习惯", "Cross-selling habit", "S", "skill",
     "服务营销:在每通合适的电话中自然地完成推荐,形成稳定的营销习惯。"),
    ("marketing", "marketing-process", "营销流程", "Marketing process", "K", "knowledge",
     "服务营销:掌握从需求识别、产品推荐、异议处理到成交确认的营销流程。"),
    ("marketing", "marketing-tools", "营销工具", "Marketing tools", "S", "skill",
     "服务营销:熟练使用营销系统、客户标签、推荐清单等工具。"),
    ("marketing", "sales-breadth-volume", "营销广度与数量", "Breadth and volume of sales", "S", "skill",
     "服务营销:推荐覆盖的产品范围和成功营销的数量。"),
    ("marketing", "key-moment", "关键时刻", "Key moment", "S", "skill",
     "营销支点:把握通话中客户需求被满足、情绪积极的时机发起推荐。"),
    ("marketing", "key-phrase", "关键话术", "Key phrase", "S", "skill",
     "营销支点:用简短、有吸引力且合规的话术引出推荐。"),
    ("marketing", "key-information", "关键信息", "Key information", "K", "knowledge",
     "营销支点:从客户资料和通话中识别与推荐相关的关键信息(消费、套餐、使用习惯)。"),
    ("management", "people-management", "人员管理", "People management", "S", "skill",
     "带领班组成员:排班、辅导、激励与绩效沟通,培养徒弟和后备人才。"),
    ("management", "task-management", "任务管理", "Task management", "S", "skill",
     "分解与跟踪任务:设定目标、分配工作、监控进度与质量,按时闭环。"),
]


def seed(apps, schema_editor):
    CompetencyModule = apps.get_model("competency", "CompetencyModule")
    CompetencyItem = apps.get_model("competency", "CompetencyItem")
    modules = {}
    for code, name, name_en, order in MODULES:
        modules[code], _ = CompetencyModule.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "order": order}
        )
    for order, (module, code, name, name_en, ksao, kind, description) in enumerate(ITEMS, start=1):
        CompetencyItem.objects.update_or_create(
            code=code,
            defaults={"module": modules[module], "name": name, "name_en": name_en, "ksao": ksao,
                      "kind": kind, "description": description, "order": order},
        )


def unseed(apps, schema_editor):
    CompetencyItem = apps.get_model("competency", "CompetencyItem")
    CompetencyModule = apps.get_model("competency", "CompetencyModule")
    CompetencyItem.objects.filter(code__in=[i[1] for i in ITEMS], position_models__isnull=True).delete()
    CompetencyModule.objects.filter(code__in=[m[0] for m in MODULES], items__isnull=True).delete()


def grant(apps, schema_editor):
    grant_permissions(apps, GRANTS)


def revoke(apps, schema_editor):
    revoke_permissions(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("competency", "0004_qsort_rounds"),
        ("accounts", "0003_team_leader_role"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
        migrations.RunPython(grant, revoke),
    ]
