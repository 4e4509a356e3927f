"""Demo data for the competency app: the hotline position family and its positions."""

from competency.models import Position, PositionFamily

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


def load(*, stdout) -> None:
    for family_code, name, name_en, positions in POSITIONS:
        family, _ = PositionFamily.objects.update_or_create(
            code=family_code, defaults={"name": name, "name_en": name_en}
        )
        for code, pname, pname_en in positions:
            Position.objects.update_or_create(
                code=code, defaults={"family": family, "name": pname, "name_en": pname_en}
            )
    stdout.write(
        f"competency: {PositionFamily.objects.count()} position families, {Position.objects.count()} positions"
    )
