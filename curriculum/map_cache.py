"""The learning-map tree (map → stages → topics → courses) kept in the cache for the pages.

Every CSR page of the map reads the same tree of their position family: four queries and
~200 model instances per request for data that training managers change a few times a
year. The pages read it from the cache (Redis in production, local memory in the embedded
default) under a key holding a global version; saving or deleting any row of the tree, a
course, a topic or a position bumps the version, so the next page reads the database again.
Rules that decide something (enrolment's stage lock in curriculum.services) read the
database, never this copy.

The receivers below are the one hook that admin edits, services and imports share
(ARCHITECTURE: signals only for clean-up that cannot be a call).
"""

from django.db.models.signals import post_delete, post_save

from config.cache_versions import MISSING, CacheVersion

MAP_VERSION = CacheVersion("learning-map:version")
TIMEOUT = 24 * 3600
# Forget the cached trees (a signal receiver, see connect_signals).
learning_map_changed = MAP_VERSION.bump


def cached_tree(position_id: int | None, load):
    """``load()`` (the tree of the position's family, or None) through the cache."""
    if not position_id:
        return None
    key = f"learning-map:position:{position_id}"
    version, found = MAP_VERSION.read(key)
    if found is MISSING:
        found = load()
        MAP_VERSION.keep(key, version, found, TIMEOUT)
    return found


def connect_signals() -> None:
    from accounts.models import Position, PositionFamily
    from curriculum.models import Course, LearningMap, MapCourse, MapStage, MapTopic, Topic

    for model in (
        LearningMap,
        MapStage,
        MapTopic,
        MapCourse,
        Course,
        Topic,
        Position,
        PositionFamily,
    ):
        for signal in (post_save, post_delete):
            signal.connect(
                learning_map_changed,
                sender=model,
                dispatch_uid=f"learning-map:{signal}:{model._meta.label}",
            )
