import pytest

from tests.e2e import conftest as e2e


@pytest.fixture
def no_browser(monkeypatch):
    monkeypatch.setattr(e2e, "CHROMIUM", None)
    monkeypatch.delenv("E2E_REQUIRED", raising=False)
    monkeypatch.delenv("CI", raising=False)
    return monkeypatch


def test_a_missing_browser_skips_the_browser_tests_on_a_developer_machine(no_browser):
    with pytest.raises(pytest.skip.Exception):
        e2e.require_browser()


@pytest.mark.parametrize("variable, value", [("CI", "true"), ("E2E_REQUIRED", "1")])
def test_a_missing_browser_fails_the_browser_tests_in_ci(no_browser, variable, value):
    no_browser.setenv(variable, value)
    with pytest.raises(pytest.fail.Exception, match="required here"):
        e2e.require_browser()
