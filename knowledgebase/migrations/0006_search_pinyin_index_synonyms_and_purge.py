"""GIN indexes on Entry's title and pinyin vectors, filled for existing entries (in batches),
a seeded telecom synonym set, the search-log settings row, the nightly purge of the search
log, and the admin permissions on synonyms and the search log."""

from django.db import migrations, transaction

from accounts.migration_helpers import grant_permissions, revoke_permissions

BATCH = 2000
PURGE_TASK = "knowledgebase.search_log_purge_task"
PURGE_TASK_NAME = "Purge the KB search log past its retention"
GRANTS = {
    "Training manager": ["knowledgebase.add_synonymgroup", "knowledgebase.change_synonymgroup",
                         "knowledgebase.delete_synonymgroup", "knowledgebase.view_synonymgroup",
                         "knowledgebase.change_searchsettings", "knowledgebase.view_searchsettings",
                         "knowledgebase.view_searchlog"],
    "Operations manager": ["knowledgebase.add_synonymgroup", "knowledgebase.change_synonymgroup",
                           "knowledgebase.delete_synonymgroup", "knowledgebase.view_synonymgroup",
                           "knowledgebase.change_searchsettings", "knowledgebase.view_searchsettings",
                           "knowledgebase.view_searchlog"],
}

# Words customers and CSRs use for the same thing in a China Mobile-style contact centre.
SYNONYMS = [
    ("退款 退费 返还 退钱", "money back"),
    ("宽带 家宽 光纤 网线", "home broadband"),
    ("携号转网 转网 号码携带 携转", "number portability"),
    ("推销电话 营销外呼 骚扰电话 营销电话", "sales calls"),
    ("故障 坏了 用不了 连不上 报修", "fault"),
    ("欠费 停机 没钱了 余额不足", "arrears"),
    ("话费 费用 资费 账单", "charges"),
    ("流量 上网 数据", "mobile data"),
    ("套餐 资费套餐 套餐包", "plan"),
    ("退订 取消 关闭 注销业务", "unsubscribe"),
    ("办理 开通 订购", "subscribe"),
    ("补卡 换卡 补办卡 号卡补换", "SIM replacement"),
    ("实名认证 实名 实名登记", "real-name registration"),
    ("国际漫游 出国 境外 漫游", "roaming"),
    ("光猫 路由器 猫", "modem"),
    ("网速慢 网卡 卡顿 网速", "slow internet"),
    ("电子发票 发票 开票", "invoice"),
    ("积分 积分兑换 积分商城", "loyalty points"),
    ("副卡 主副卡 亲情号", "secondary SIM"),
    ("停机保号 保号 停机留号", "keep the number"),
    ("销户 注销 销号", "close the account"),
    ("合约机 合约 购机", "contract phone"),
    ("彩铃 视频彩铃 铃声", "ringback tone"),
    ("5g 五g 5g网络", "5G"),
    ("投诉 申诉 投诉处理", "complaint"),
    ("信号差 没信号 信号不好 无信号", "no signal"),
    ("充值 交话费 缴费 充话费", "top-up"),
    ("固话 座机 固定电话", "landline"),
    ("收费 计费 扣费 扣钱", "charging"),
]


def compact_rows(apps, schema_editor):
    """Keep the title vectors inline and move the large token columns and body vectors out of
    the row (TOAST) from 512 bytes on: ranking reads thousands of title vectors, which is cheap
    only when rows are small (100,000 entries: heap 1 GB → 60 MB; measured, README). The fill
    below rewrites every row, which applies it to existing entries."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE knowledgebase_entry SET (toast_tuple_target = 512), "
            "ALTER COLUMN search_title_vector SET STORAGE PLAIN, "
            "ALTER COLUMN search_pinyin_title_vector SET STORAGE PLAIN, ALTER COLUMN title SET STORAGE PLAIN"
        )


def fill_pinyin(apps, schema_editor):
    from knowledgebase.search import pinyin_tokens

    Entry = apps.get_model("knowledgebase", "Entry")
    last = 0
    while True:
        rows = list(Entry.objects.filter(pk__gt=last).order_by("pk").values_list("pk", "search_title", "search_text")[:BATCH])
        if not rows:
            break
        with transaction.atomic(using=schema_editor.connection.alias):
            _fill_batch(Entry, rows, pinyin_tokens, schema_editor)
        last = rows[-1][0]


def _fill_batch(Entry, rows, pinyin_tokens, schema_editor):
    Entry.objects.bulk_update(
        [Entry(pk=pk, search_pinyin_title=pinyin_tokens(title_tokens),
               search_pinyin=f"{pinyin_tokens(title_tokens)} {pinyin_tokens(text_tokens)}")
         for pk, title_tokens, text_tokens in rows],
        ["search_pinyin", "search_pinyin_title"],
    )
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "UPDATE knowledgebase_entry SET search_pinyin_vector = to_tsvector('simple', search_pinyin), "
            "search_title_vector = to_tsvector('simple', search_title), "
            "search_pinyin_title_vector = to_tsvector('simple', search_pinyin_title) "
            "WHERE id >= %s AND id <= %s", [rows[0][0], rows[-1][0]]
        )


GIN_INDEXES = {"kb_entry_search_pinyin_gin": "search_pinyin_vector",
               "kb_entry_search_title_gin": "search_title_vector",
               "kb_entry_search_pinyin_title_gin": "search_pinyin_title_vector"}


def create_pinyin_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, column in GIN_INDEXES.items():
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON knowledgebase_entry USING gin ({column})")


def drop_pinyin_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in GIN_INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def seed(apps, schema_editor):
    SynonymGroup = apps.get_model("knowledgebase", "SynonymGroup")
    if not SynonymGroup.objects.exists():
        SynonymGroup.objects.bulk_create([SynonymGroup(terms=terms, note=note) for terms, note in SYNONYMS])
    apps.get_model("knowledgebase", "SearchSettings").objects.get_or_create(pk=1)
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="40", hour="3", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.update_or_create(name=PURGE_TASK_NAME, defaults={"task": PURGE_TASK, "crontab": crontab,
                                                                          "enabled": True})
    grant_permissions(apps, GRANTS)


def unseed(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=PURGE_TASK_NAME).delete()
    revoke_permissions(apps, GRANTS)


class Migration(migrations.Migration):
    # Batches commit one by one (a large knowledge base is not rewritten in one transaction),
    # and PostgreSQL refuses CREATE INDEX after updates with pending trigger events in one.
    atomic = False
    dependencies = [
        ("knowledgebase", "0005_search_synonyms_pinyin_log"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("accounts", "0004_password_changed_at"),
    ]

    operations = [
        migrations.RunPython(compact_rows, migrations.RunPython.noop),
        migrations.RunPython(fill_pinyin, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(create_pinyin_index, drop_pinyin_index),
        migrations.RunPython(seed, unseed),
    ]
