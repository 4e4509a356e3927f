"""Benchmark the knowledge-base search on 100,000 generated entries.

    createdb -h 127.0.0.1 -U postgres cc_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench python manage.py bench_kb_search
    DATABASE_URL=... python manage.py bench_kb_search --cleanup      # remove the generated rows

Entries are generated deterministically (seeded) into a "bench" category with bulk_create in
batches; an existing generated set of the right size is reused. Every query is derived from a
known target entry (its full title, its key words in another order, or an alias plus the
discriminating words; the last word is typed as a prefix, as in "results as you type").
Prints p50/p95/p99 latency in ms of the whole search call (SQL + highlighting) and the
share of queries whose target is ranked first and within the top 5.
"""

import random
import statistics
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from knowledgebase import search
from knowledgebase.models import Category, Entry

REGIONS = ["武汉", "黄石", "十堰", "宜昌", "襄阳", "鄂州", "荆门", "孝感", "荆州", "黄冈", "咸宁", "随州", "恩施",
           "仙桃", "潜江", "天门", "神农架", "北京", "上海", "广州", "深圳", "成都", "重庆", "西安", "南京", "杭州",
           "长沙", "郑州", "济南", "合肥"]
PRODUCTS = [("畅享套餐", "畅享"), ("全球通套餐", "全球通"), ("动感地带", "动感"), ("神州行", "神州行卡"),
            ("校园卡", "学生卡"), ("亲情网", "家庭网"), ("流量日包", "日包"), ("流量月包", "月包"),
            ("视频彩铃", "彩铃"), ("移动云盘", "云盘"), ("家庭宽带", "宽带"), ("千兆宽带", "千兆"),
            ("融合套餐", "融合"), ("国际漫游日包", "漫游包"), ("港澳漫游包", "港澳包"), ("积分商城", "积分"),
            ("副卡", "主副卡"), ("物联网卡", "物联卡"), ("5G消息", "富媒体消息"), ("咪咕视频会员", "咪咕"),
            ("爱奇艺会员", "爱奇艺"), ("腾讯视频会员", "腾讯视频"), ("芒果会员", "芒果"), ("网易云音乐包", "音乐包"),
            ("车载流量", "车联网"), ("手表号卡", "手表卡"), ("和家固话", "固话"), ("魔百和电视", "魔百和"),
            ("看家摄像头", "摄像头"), ("和彩云", "彩云"), ("139邮箱", "邮箱"), ("话费宝", "理财"),
            ("信用购机", "购机"), ("合约机", "合约"), ("携号转网", "转网"), ("停机保号", "保号"),
            ("靓号", "吉祥号"), ("号卡补换", "补卡"), ("实名认证", "实名"), ("电子发票", "发票")]
TIERS = [8, 18, 28, 38, 58, 88, 98, 128, 158, 188, 238, 288, 388, 588]
ACTIONS = ["办理", "退订", "变更", "资费说明", "生效规则", "优惠活动", "续约", "升档", "降档", "暂停", "恢复",
           "赠送", "退费", "查询方式", "投诉处理", "合约规则", "到期提醒", "使用范围", "计费规则", "限制条件"]
FILLERS = ["请先核实客户身份并确认号码状态", "办理后次月生效当月按原规则计费", "客户有异议的登记工单四十八小时内回复",
           "合约期内变更需告知违约责任", "优惠以当地公布的活动规则为准", "可通过中国移动APP或营业厅办理",
           "费用在每月一日扣除新入网按日折算", "请提醒客户注意短信通知", "如遇系统故障请安抚客户并记录诉求"]
COMBOS = len(REGIONS) * len(PRODUCTS) * len(TIERS) * len(ACTIONS)
CATEGORY_CODE = "bench"


def combo(index: int) -> tuple[str, tuple[str, str], int, str]:
    index, a = divmod(index, len(ACTIONS))
    index, t = divmod(index, len(TIERS))
    r, p = divmod(index, len(PRODUCTS))
    return REGIONS[r], PRODUCTS[p], TIERS[t], ACTIONS[a]


def title_of(region, product, tier, action) -> str:
    return f"{region}{product[0]}{tier}元档{action}"


class Command(BaseCommand):
    help = "Generate 100,000 KB entries (once) and measure search latency and top-5 accuracy."

    def add_arguments(self, parser):
        parser.add_argument("--entries", type=int, default=100_000)
        parser.add_argument("--queries", type=int, default=300)
        parser.add_argument("--batch", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--cleanup", action="store_true", help="Delete the generated entries and stop.")
        parser.add_argument("--force", action="store_true", help="Run on a database whose name lacks 'bench'.")

    def handle(self, *args, entries, queries, batch, seed, cleanup, force, **options):
        name = str(settings.DATABASES["default"]["NAME"])
        if "bench" not in name and not force:
            raise CommandError(f"Refusing to write 100k rows into {name!r}: use a *bench* database or --force.")
        if entries > COMBOS:
            raise CommandError(f"At most {COMBOS} distinct entries can be generated.")
        if cleanup:
            deleted = Entry.objects.filter(category__code=CATEGORY_CODE).delete()[0]
            Category.objects.filter(code=CATEGORY_CODE).delete()
            self.stdout.write(f"deleted {deleted} generated rows")
            return
        rng = random.Random(seed)
        indexes = rng.sample(range(COMBOS), entries)
        self._generate(indexes, batch, rng)
        self._measure(indexes, queries, rng)

    def _generate(self, indexes, batch, rng):
        category, _ = Category.objects.get_or_create(code=CATEGORY_CODE, defaults={"name": "基准测试", "order": 999})
        existing = Entry.objects.filter(category=category).count()
        if existing == len(indexes):
            self.stdout.write(f"reusing {existing} generated entries")
            return
        Entry.objects.filter(category=category).delete()
        started = time.perf_counter()
        search.jieba_tokenizer()
        for start in range(0, len(indexes), batch):
            rows = []
            for index in indexes[start : start + batch]:
                region, product, tier, action = combo(index)
                other = PRODUCTS[rng.randrange(len(PRODUCTS))][0]
                title = title_of(region, product, tier, action)
                keywords = f"{product[1]} {region}{product[1]}"
                body = (f"{region}地区客户咨询{product[0]}{tier}元档的{action}时，"
                        f"{rng.choice(FILLERS)}；{rng.choice(FILLERS)}。与{other}同时办理的，{rng.choice(FILLERS)}。")
                rows.append(Entry(category=category, title=title, body=body, keywords=keywords, version=1,
                                  **search.index_fields(title=title, body=body, keywords=keywords)))
            with transaction.atomic():
                created = Entry.objects.bulk_create(rows)
                Entry.objects.filter(pk__in=[e.pk for e in created]).update(search_vector=search.vector_expression())
            done = start + len(rows)
            if done % 20_000 == 0 or done == len(indexes):
                self.stdout.write(f"  generated {done} entries in {time.perf_counter() - started:.0f} s")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE knowledgebase_entry")
        self.stdout.write(f"generation + indexing: {time.perf_counter() - started:.1f} s")

    def _queries(self, indexes, count, rng):
        out = []
        for index in rng.sample(indexes, count):
            region, product, tier, action = combo(index)
            style = rng.randrange(3)
            if style == 0:
                q = title_of(region, product, tier, action)
            elif style == 1:
                words = [product[0], region, f"{tier}元", action]
                rng.shuffle(words)
                q = " ".join(words)
            else:
                q = f"{region} {product[1]} {action} {tier}"
            out.append((q, title_of(region, product, tier, action)))
        return out

    def _measure(self, indexes, count, rng):
        titles = dict(Entry.objects.filter(category__code=CATEGORY_CODE).values_list("title", "pk"))
        query_set = self._queries(indexes, count, rng)
        for q, _ in query_set[:20]:  # warm caches and the connection
            search.search(q, limit=10)
        latencies, top1, top5 = [], 0, 0
        for q, target_title in query_set:
            started = time.perf_counter()
            hits = search.search(q, limit=10)
            latencies.append((time.perf_counter() - started) * 1000)
            ids = [h.entry_id for h in hits]
            target = titles[target_title]
            top1 += bool(ids[:1] == [target])
            top5 += target in ids[:5]
        quantiles = statistics.quantiles(latencies, n=100, method="inclusive")
        engine = "PostgreSQL" if settings.IS_POSTGRES else "SQLite"
        total = Entry.objects.count()
        self.stdout.write(f"{engine}: {total} entries, {len(query_set)} queries")
        self.stdout.write(f"latency ms: p50 {quantiles[49]:.2f}  p95 {quantiles[94]:.2f}  p99 {quantiles[98]:.2f}  "
                          f"max {max(latencies):.2f}")
        self.stdout.write(f"accuracy: top-1 {100 * top1 / len(query_set):.1f}%  top-5 {100 * top5 / len(query_set):.1f}%")
