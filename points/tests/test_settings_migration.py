"""The review-points daily cap moves from the review settings to the points settings with
the value an admin set, and back."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("points", "0011_entry_note_code"),
    ("review", "0005_review_experts_and_proposal_category"),
]
AFTER = [
    ("points", "0012_review_points_daily_cap_moved_from_review"),
    ("review", "0007_review_points_daily_cap_moved_to_points"),
]


def migrate_to(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_cap_an_admin_set_moves_to_the_points_settings_and_back():
    try:
        # given: an admin set the cap to 120 in the review settings
        old = migrate_to(BEFORE)
        old.get_model("review", "ReviewSettings").objects.update_or_create(
            pk=1, defaults={"review_points_daily_cap": 120}
        )
        # when
        new = migrate_to(AFTER)
        # then: the points settings hold it, the review settings no longer have the column
        assert (
            new.get_model("points", "PointsSettings").objects.get(pk=1).review_points_daily_cap
            == 120
        )
        assert "review_points_daily_cap" not in {
            f.name for f in new.get_model("review", "ReviewSettings")._meta.get_fields()
        }
        # and back
        new.get_model("points", "PointsSettings").objects.filter(pk=1).update(
            review_points_daily_cap=75
        )
        old = migrate_to(BEFORE)
        assert (
            old.get_model("review", "ReviewSettings").objects.get(pk=1).review_points_daily_cap
            == 75
        )
    finally:
        migrate_to_latest()
