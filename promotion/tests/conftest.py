import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Voice-case recordings go to a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
