import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded recordings go to a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
