"""Demo data for accounts: position families and positions, two centres, teams, ~50 employees
across levels 0–5 and every role."""

import random
from datetime import date, timedelta
from pathlib import Path

from django.contrib.auth.models import Group

from accounts.levels import LEVELS
from accounts.models import Centre, OnboardingProgress, Position, PositionFamily, Team, User
from accounts.roles import Role

DEMO_PASSWORD = "demo-pass-2026"

POSITIONS = [
    (
        "hotline",
        "热线服务岗位族",
        "Hotline service",
        [
            ("hotline-csr", "热线客服代表", "Hotline CSR"),
            ("complaint-csr", "投诉处理代表", "Complaint-handling CSR"),
            ("outbound-csr", "外呼营销代表", "Outbound sales CSR"),
        ],
    ),
    (
        "support",
        "支撑管理岗位族",
        "Support and management",
        [
            ("team-leader", "班组长", "Team leader"),
            ("trainer", "培训师", "Trainer"),
            ("quality-inspector", "质检员", "Quality inspector"),
        ],
    ),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "晓燕",
    "思远",
    "子涵",
    "雨欣",
    "浩然",
]

CENTRES = [
    ("hubei-10086", "湖北10086客服中心", ["服务一班", "服务二班", "投诉处理班", "外呼营销班"]),
    ("wuhan-sub", "武汉分中心", ["综合服务班", "夜班"]),
]

# (staff_id, name, role groups, level, position code, admin access)
NAMED_ACCOUNTS = [
    ("HB0001", "王小新", [Role.CSR], 0, "hotline-csr", False),
    ("HB0002", "李思远", [Role.CSR], 1, "hotline-csr", False),
    ("HB0003", "张雨欣", [Role.CSR], 2, "complaint-csr", False),
    ("HB0004", "刘浩然", [Role.CSR], 3, "hotline-csr", False),
    ("HB0005", "陈静", [Role.CSR, Role.REVIEWER], 4, "complaint-csr", False),
    ("HB0006", "杨明", [Role.CSR, Role.REVIEWER], 5, "hotline-csr", False),
    ("HB9001", "周培训", [Role.TRAINING_MANAGER], 4, "trainer", True),
    ("HB9301", "黄班长", [Role.TEAM_LEADER, Role.CSR], 4, "team-leader", False),
    ("HB9101", "吴人事", [Role.HR], 0, None, False),
    ("HB9201", "郑运营", [Role.OPERATIONS_MANAGER], 5, "team-leader", False),
    ("HB9202", "孙业务", [Role.OPERATIONS_MANAGER], 5, "team-leader", False),
    ("HB9203", "马经理", [Role.OPERATIONS_MANAGER, Role.REVIEWER], 5, "team-leader", False),
]
# A CSR on the first day, with the tour open (accounts.onboarding): loaded after the generated
# employees so their teams and levels stay as they were.
NEW_CSR = ("HB0007", "赵新人", [Role.CSR], 0, "hotline-csr", False)
GENERATED_CSRS = 40
# How many generated CSRs sit at each level: a pyramid, most employees low on the ladder.
LEVEL_WEIGHTS = [30, 25, 20, 13, 8, 4]


def load_positions(*, stdout) -> None:
    for family_code, name, name_en, positions in POSITIONS:
        family, _ = PositionFamily.objects.update_or_create(
            code=family_code, defaults={"name": name, "name_en": name_en}
        )
        for code, pname, pname_en in positions:
            Position.objects.update_or_create(
                code=code, defaults={"family": family, "name": pname, "name_en": pname_en}
            )
    stdout.write(
        f"accounts: {PositionFamily.objects.count()} position families, "
        f"{Position.objects.count()} positions"
    )


def load(*, stdout) -> None:
    load_positions(stdout=stdout)
    rng = random.Random(2026)
    centres = {}
    for code, name, team_names in CENTRES:
        centre, _ = Centre.objects.update_or_create(code=code, defaults={"name": name})
        centres[code] = (
            centre,
            [Team.objects.get_or_create(centre=centre, name=t)[0] for t in team_names],
        )
    groups = {g.name: g for g in Group.objects.all()}
    positions = {p.code: p for p in Position.objects.all()}

    main_centre, main_teams = centres["hubei-10086"]
    accounts = list(NAMED_ACCOUNTS)
    for n in range(GENERATED_CSRS):
        level = rng.choices(LEVELS, weights=LEVEL_WEIGHTS)[0]
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        accounts.append(
            (
                f"HB{100 + n:04d}",
                name,
                [Role.CSR],
                level,
                rng.choice(["hotline-csr", "complaint-csr", "outbound-csr"]),
                False,
            )
        )
    accounts.append(NEW_CSR)

    for index, (staff_id, name, role_names, level, position_code, admin_access) in enumerate(
        accounts
    ):
        centre, teams = centres["wuhan-sub"] if index % 9 == 8 else (main_centre, main_teams)
        user, created = User.objects.update_or_create(
            staff_id=staff_id,
            defaults={
                "name": name,
                "centre": centre,
                "team": teams[index % len(teams)],
                "position": positions.get(position_code),
                "level": level,
                "hire_date": date(2026, 11, 1)
                - timedelta(days=90 + 180 * level + rng.randint(0, 300)),
                "education": rng.choice(list(User.Education.values)),
                "performance_rating": rng.choice(list(User.PerformanceRating.values)),
                "is_staff": admin_access,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.set([groups[r] for r in role_names])
        if staff_id == NEW_CSR[0]:
            # The tour stays open on every reload of the demo.
            OnboardingProgress.objects.filter(user=user).delete()

    if not User.objects.filter(staff_id="ADMIN").exists():
        User.objects.create_superuser("ADMIN", DEMO_PASSWORD, name="系统管理员")

    imported = _import_new_hires()
    stdout.write(
        f"accounts: {len(centres)} centres, {Team.objects.count()} teams, {User.objects.count()} "
        f"employees ({imported})"
    )
    stdout.write("")
    stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
    for staff_id, name, role_names, level, _, _ in [*NAMED_ACCOUNTS, NEW_CSR]:
        stdout.write(
            f"  {staff_id:<7} {name:<4}  level {level}  "
            f"{', '.join(str(r.label) for r in role_names)}"
        )
    stdout.write(
        f"  {NEW_CSR[0]}: a new CSR on the first day, tour open (getting started, sandbox)"
    )
    stdout.write("  ADMIN    superuser (admin site)")


NEW_HIRES_FILE = Path(__file__).resolve().parent / "demo_files" / "hr_new_hires.csv"


def _import_new_hires() -> str:
    """This month's new hires arrive as HR imports them: the sample HR-system file
    (demo_files/hr_new_hires.csv, also handy to try on the import page) imported by 吴人事
    through the same service as the page. Repeatable: a second run finds them unchanged."""
    from accounts.services import employees_import

    hr = User.objects.filter(staff_id="HB9101").first()
    if hr is None:
        return "no HR user, new hires not imported"
    report = employees_import(
        file_name=NEW_HIRES_FILE.name, content=NEW_HIRES_FILE.read_bytes(), by=hr, dry_run=False
    )
    return (
        f"HR import of new hires: {report.new} new, {report.updated} updated, "
        f"{report.unchanged} unchanged"
    )
