"""Benchmark the knowledge-base search on generated entries and a held-out query set.

    createdb -h 127.0.0.1 -U postgres cc_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench python manage.py bench_kb_search \\
        [--entries 1000000]
    DATABASE_URL=... python manage.py bench_kb_search --cleanup      # remove the generated rows

Data: N entries in all — the 60 hand-written target entries of knowledgebase/bench/entries.json
(category "bench-anchors") among N − 60 deterministic generated ones (category "bench",
bulk_create in batches, reused when a set of the right size exists) that share their vocabulary
(宽带, 退费, 携号转网, 流量 … in regions × products × tiers × actions × editions).

Queries: knowledgebase/bench/queries.json, written as CSRs type (direct, partial, synonym,
colloquial, homophone typo, digits/latin), each naming the entry it must find. Printed:
- p50/p95/p99 of the whole search call (SQL + highlighting) over the query set, and top-1/top-5
  by kind;
- the same latencies for the 1- and 2-character prefixes of the most frequent terms of the
  generated titles (what "results as you type" sends first);
- a naive ``ILIKE '%q%'`` over title/keywords/body on the same rows as the baseline;
- the time to render the result list template for the full queries.
"""

import collections
import json
import random
import statistics
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.test import RequestFactory

from config.bench import require_bench_database
from knowledgebase import search
from knowledgebase.models import Category, Entry
from knowledgebase.views import hit_rows

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"
REGIONS = [
    "武汉",
    "黄石",
    "十堰",
    "宜昌",
    "襄阳",
    "鄂州",
    "荆门",
    "孝感",
    "荆州",
    "黄冈",
    "咸宁",
    "随州",
    "恩施",
    "仙桃",
    "潜江",
    "天门",
    "神农架",
    "北京",
    "上海",
    "广州",
    "深圳",
    "成都",
    "重庆",
    "西安",
    "南京",
    "杭州",
    "长沙",
    "郑州",
    "济南",
    "合肥",
]
PRODUCTS = [
    ("畅享套餐", "畅享"),
    ("全球通套餐", "全球通"),
    ("动感地带", "动感"),
    ("神州行", "神州行卡"),
    ("校园卡", "学生卡"),
    ("亲情网", "家庭网"),
    ("流量日包", "日包"),
    ("流量月包", "月包"),
    ("视频彩铃", "彩铃"),
    ("移动云盘", "云盘"),
    ("家庭宽带", "宽带"),
    ("千兆宽带", "千兆"),
    ("融合套餐", "融合"),
    ("国际漫游日包", "漫游包"),
    ("港澳漫游包", "港澳包"),
    ("积分商城", "积分"),
    ("副卡", "主副卡"),
    ("物联网卡", "物联卡"),
    ("5G消息", "富媒体消息"),
    ("咪咕视频会员", "咪咕"),
    ("爱奇艺会员", "爱奇艺"),
    ("腾讯视频会员", "腾讯视频"),
    ("芒果会员", "芒果"),
    ("网易云音乐包", "音乐包"),
    ("车载流量", "车联网"),
    ("手表号卡", "手表卡"),
    ("和家固话", "固话"),
    ("魔百和电视", "魔百和"),
    ("看家摄像头", "摄像头"),
    ("和彩云", "彩云"),
    ("139邮箱", "邮箱"),
    ("话费宝", "理财"),
    ("信用购机", "购机"),
    ("合约机", "合约"),
    ("携号转网", "转网"),
    ("停机保号", "保号"),
    ("靓号", "吉祥号"),
    ("号卡补换", "补卡"),
    ("实名认证", "实名"),
    ("电子发票", "发票"),
]
TIERS = [8, 18, 28, 38, 58, 88, 98, 128, 158, 188, 238, 288, 388, 588]
ACTIONS = [
    "办理",
    "退订",
    "变更",
    "资费说明",
    "生效规则",
    "优惠活动",
    "续约",
    "升档",
    "降档",
    "暂停",
    "恢复",
    "赠送",
    "退费",
    "查询方式",
    "投诉处理",
    "合约规则",
    "到期提醒",
    "使用范围",
    "计费规则",
    "限制条件",
]
EDITIONS = ["", "（2025版）", "（2026版）", "（试行）"]
FILLERS = [
    "请先核实客户身份并确认号码状态",
    "办理后次月生效当月按原规则计费",
    "客户有异议的登记工单四十八小时内回复",
    "合约期内变更需告知违约责任",
    "优惠以当地公布的活动规则为准",
    "可通过中国移动APP或营业厅办理",
    "费用在每月一日扣除新入网按日折算",
    "请提醒客户注意短信通知",
    "如遇系统故障请安抚客户并记录诉求",
]
COMBOS = len(REGIONS) * len(PRODUCTS) * len(TIERS) * len(ACTIONS) * len(EDITIONS)
CATEGORY_CODE = "bench"
ANCHOR_CATEGORY_CODE = "bench-anchors"
FREQUENT_TERMS = 20


def combo(index: int):
    index, a = divmod(index, len(ACTIONS))
    index, t = divmod(index, len(TIERS))
    index, p = divmod(index, len(PRODUCTS))
    e, r = divmod(index, len(REGIONS))
    return REGIONS[r], PRODUCTS[p], TIERS[t], ACTIONS[a], EDITIONS[e]


def title_of(region, product, tier, action, edition) -> str:
    return f"{region}{product[0]}{tier}元档{action}{edition}"


def percentiles(values: list[float]) -> str:
    q = statistics.quantiles(values, n=100, method="inclusive")
    return f"p50 {q[49]:7.2f}  p95 {q[94]:7.2f}  p99 {q[98]:7.2f}  max {max(values):7.2f} ms"


class Command(BaseCommand):
    help = (
        "Generate KB entries (once) and measure search latency and top-1/top-5 on the held-out "
        "query set."
    )

    def add_arguments(self, parser):
        parser.add_argument("--entries", type=int, default=100_000)
        parser.add_argument("--repeat", type=int, default=5, help="Timed runs of every query.")
        parser.add_argument("--batch", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--no-baseline", action="store_true", help="Skip the ILIKE baseline.")
        parser.add_argument(
            "--cleanup", action="store_true", help="Delete the generated entries and stop."
        )
        parser.add_argument(
            "--force", action="store_true", help="Run on a database whose name lacks 'bench'."
        )
        parser.add_argument("--cap", type=int, help="Override search.CANDIDATE_CAP for this run.")
        parser.add_argument(
            "--show-misses", action="store_true", help="Print the queries missing the top 5."
        )

    def handle(
        self,
        *args,
        entries,
        repeat,
        batch,
        seed,
        no_baseline,
        cleanup,
        force,
        show_misses,
        cap,
        **options,
    ):
        if cap:
            search.CANDIDATE_CAP = cap
        require_bench_database(force=force, action=f"write {entries} rows into")
        if cleanup:
            deleted = Entry.objects.filter(
                category__code__in=[CATEGORY_CODE, ANCHOR_CATEGORY_CODE]
            ).delete()[0]
            Category.objects.filter(code__in=[CATEGORY_CODE, ANCHOR_CATEGORY_CODE]).delete()
            self.stdout.write(f"deleted {deleted} generated rows")
            return
        anchors = json.loads((BENCH_DIR / "entries.json").read_text())["entries"]
        queries = json.loads((BENCH_DIR / "queries.json").read_text())["queries"]
        generated = entries - len(anchors)
        if not 0 < generated <= COMBOS:
            raise CommandError(
                f"Between {len(anchors) + 1} and {COMBOS + len(anchors)} entries can be generated."
            )
        rng = random.Random(seed)
        self._anchors(anchors)
        self._generate(generated, batch, rng)
        started = time.perf_counter()
        tokens = search.vocabulary_rebuild()
        self.stdout.write(
            f"search vocabulary rebuilt: {tokens} tokens in {time.perf_counter() - started:.1f} s"
        )
        if settings.IS_POSTGRES:
            # The anchors were just deleted and inserted again, and a migration may have added
            # columns: measure the table as autovacuum keeps it in production (dead rows gone,
            # planner statistics current), not in whatever state the last write left it.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE knowledgebase_entry")
        keys = dict(
            Entry.objects.filter(category__code=ANCHOR_CATEGORY_CODE).values_list("title", "pk")
        )
        expected = {a["key"]: keys[a["title"]] for a in anchors}
        self._report(queries, expected, repeat, rng, not no_baseline, show_misses)

    # --- data ---------------------------------------------------------------------------

    def _insert(self, rows: list[Entry]) -> None:
        with transaction.atomic():
            created = Entry.objects.bulk_create(rows)
            if settings.IS_POSTGRES:
                Entry.objects.filter(pk__in=[e.pk for e in created]).update(
                    **search.vector_updates()
                )

    def _anchors(self, anchors) -> None:
        category = Category.objects.filter(
            code=ANCHOR_CATEGORY_CODE
        ).first() or Category.objects.add_root(
            create_kwargs={"code": ANCHOR_CATEGORY_CODE, "name": "基准测试目标", "order": 998}
        )
        Entry.objects.filter(category=category).delete()
        self._insert(
            [
                Entry(
                    category=category,
                    title=a["title"],
                    body=a["body"],
                    keywords=a["keywords"],
                    version=1,
                    **search.index_fields(title=a["title"], body=a["body"], keywords=a["keywords"]),
                )
                for a in anchors
            ]
        )

    def _generate(self, count, batch, rng) -> None:
        category = Category.objects.filter(code=CATEGORY_CODE).first() or Category.objects.add_root(
            create_kwargs={"code": CATEGORY_CODE, "name": "基准测试", "order": 999}
        )
        existing = Entry.objects.filter(category=category).count()
        if existing == count:
            self.stdout.write(f"reusing {existing} generated entries")
            return
        Entry.objects.filter(category=category).delete()
        started = time.perf_counter()
        search.jieba_tokenizer()
        indexes = rng.sample(range(COMBOS), count)
        for start in range(0, count, batch):
            rows = []
            for index in indexes[start : start + batch]:
                region, product, tier, action, edition = combo(index)
                other = PRODUCTS[rng.randrange(len(PRODUCTS))][0]
                title = title_of(region, product, tier, action, edition)
                keywords = f"{product[1]} {region}{product[1]}"
                body = (
                    f"{region}地区客户咨询{product[0]}{tier}元档的{action}时，"
                    f"{rng.choice(FILLERS)}；{rng.choice(FILLERS)}。与{other}同时办理的，{rng.choice(FILLERS)}。"
                )
                # Some entries were opened from search before: popularity as in a live system.
                clicks = int(rng.paretovariate(1.5)) - 1 if rng.random() < 0.3 else 0
                rows.append(
                    Entry(
                        category=category,
                        title=title,
                        body=body,
                        keywords=keywords,
                        version=1,
                        click_count=min(clicks, 10_000),
                        **search.index_fields(title=title, body=body, keywords=keywords),
                    )
                )
            self._insert(rows)
            done = start + len(rows)
            if done % 50_000 == 0 or done == count:
                self.stdout.write(
                    f"  generated {done} entries in {time.perf_counter() - started:.0f} s"
                )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE knowledgebase_entry")
        self.stdout.write(f"generation + indexing: {time.perf_counter() - started:.1f} s")

    def _frequent_prefixes(self, rng) -> list[str]:
        """1- and 2-character prefixes of the most frequent words of the generated titles."""
        titles = list(
            Entry.objects.filter(category__code=CATEGORY_CODE).values_list("title", flat=True)[
                :5000
            ]
        )
        counts = collections.Counter()
        for title in titles:
            counts.update(
                w for w in search.jieba_tokenizer().cut(title.lower()) if len(w.strip()) >= 2
            )
        prefixes: list[str] = []
        for word, _n in counts.most_common(FREQUENT_TERMS):
            for p in (word[:1], word[:2]):
                if p not in prefixes:
                    prefixes.append(p)
        return prefixes

    # --- measurement --------------------------------------------------------------------

    def _timed(self, fn, repeat) -> tuple[list[float], object]:
        times, result = [], None
        for _ in range(repeat):
            started = time.perf_counter()
            result = fn()
            times.append((time.perf_counter() - started) * 1000)
        return times, result

    def _report(self, queries, expected, repeat, rng, baseline, show_misses) -> None:
        engine = "PostgreSQL" if settings.IS_POSTGRES else "SQLite"
        total = Entry.objects.count()
        with connection.cursor() as cursor:
            version = cursor.connection.server_version if settings.IS_POSTGRES else ""
        self.stdout.write(
            f"{engine} {version}: {total} entries, {len(queries)} held-out queries, "
            f"candidate cap {search.CANDIDATE_CAP}"
        )
        for q in queries[:10]:  # warm caches, jieba, pypinyin, the synonym table
            search.search_outcome(q["q"], limit=10)

        latencies, render_times = [], []
        by_kind = collections.defaultdict(lambda: [0, 0, 0])
        misses, slowest_full = [], []
        request = RequestFactory().get("/kb/")
        for q in queries:
            times, outcome = self._timed(
                lambda q=q: search.search_outcome(q["q"], limit=20), repeat
            )
            latencies.extend(times)
            slowest_full.append((statistics.median(times), q["q"]))
            ids = [h.entry_id for h in outcome.hits]
            target = expected[q["expected"]]
            stats = by_kind[q["kind"]]
            stats[0] += 1
            stats[1] += ids[:1] == [target]
            stats[2] += target in ids[:5]
            if target not in ids[:5]:
                misses.append(
                    (q["kind"], q["q"], q["expected"], [h.title for h in outcome.hits[:3]])
                )
            started = time.perf_counter()
            render_to_string(
                "knowledgebase/_results.html",
                {
                    "form": _BoundForm(q["q"]),
                    "hits": outcome.hits,
                    "rows": hit_rows(outcome.hits, None),
                    "also_searched": outcome.also_searched,
                    "fallback": outcome.fallback,
                    "page_number": 1,
                    "has_more": False,
                },
                request=request,
            )
            render_times.append((time.perf_counter() - started) * 1000)

        n = len(queries)
        top1 = sum(s[1] for s in by_kind.values())
        top5 = sum(s[2] for s in by_kind.values())
        self.stdout.write(f"full queries ({n} × {repeat} runs):      {percentiles(latencies)}")
        self.stdout.write(
            f"  top-1 {top1}/{n} ({100 * top1 / n:.1f} %)   "
            f"top-5 {top5}/{n} ({100 * top5 / n:.1f} %)"
        )
        for kind, (count, k1, k5) in sorted(by_kind.items()):
            self.stdout.write(f"    {kind:<13} top-1 {k1:>2}/{count:<2}  top-5 {k5:>2}/{count:<2}")
        slowest_full.sort(reverse=True)
        self.stdout.write(
            "  slowest: " + ", ".join(f"{p} {ms:.1f} ms" for ms, p in slowest_full[:5])
        )
        self.stdout.write(f"  rendering the result list:          {percentiles(render_times)}")
        if show_misses:
            for miss in misses:
                self.stdout.write(f"    MISS {miss}")

        prefixes = self._frequent_prefixes(rng)
        prefix_latencies = []
        slowest = []
        for p in prefixes:
            times, outcome = self._timed(lambda p=p: search.search_outcome(p, limit=20), repeat)
            prefix_latencies.extend(times)
            slowest.append((statistics.median(times), p))
        slowest.sort(reverse=True)
        self.stdout.write(
            f"prefixes ({len(prefixes)} × {repeat} runs, 1–2 chars of the {FREQUENT_TERMS} most "
            f"frequent terms): {percentiles(prefix_latencies)}"
        )
        self.stdout.write("  slowest: " + ", ".join(f"{p} {ms:.1f} ms" for ms, p in slowest[:5]))

        if not baseline:
            return
        base_latencies, base_top5, base_top1 = [], 0, 0
        for q in queries:
            times, ids = self._timed(lambda q=q: _ilike(q["q"]), 1)
            base_latencies.extend(times)
            target = expected[q["expected"]]
            base_top1 += ids[:1] == [target]
            base_top5 += target in ids[:5]
        self.stdout.write(f"baseline ILIKE '%q%', full queries:   {percentiles(base_latencies)}")
        self.stdout.write(
            f"  top-1 {base_top1}/{n}   top-5 {base_top5}/{n} ({100 * base_top5 / n:.1f} %)"
        )
        base_prefix = []
        for p in prefixes:
            times, _ids = self._timed(lambda p=p: _ilike(p), 1)
            base_prefix.extend(times)
        self.stdout.write(f"baseline ILIKE '%q%', prefixes:       {percentiles(base_prefix)}")


def _ilike(q: str) -> list[int]:
    """The naive search: the query as typed, anywhere in title, keywords or body."""
    q = q.strip()
    return list(
        Entry.objects.effective()
        .filter(Q(title__icontains=q) | Q(keywords__icontains=q) | Q(body__icontains=q))
        .order_by()
        .values_list("pk", flat=True)[:20]
    )


class _BoundForm:
    """What _results.html reads from the search form."""

    is_bound = True

    def __init__(self, q: str):
        self.cleaned_data = {"q": q, "category": None}
