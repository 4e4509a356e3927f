"""The registries through which the apps above accounts contribute to the home page and the
first day (accounts.home, accounts.onboarding): what is registered, in the documented order,
and a clash is refused."""

import pytest

from accounts import home, onboarding


def test_the_role_panels_and_the_csr_sections_are_in_the_documented_order():
    assert [panel.name for panel in home.panels()] == [
        "csr",  # accounts
        "committee",  # review
        "training",  # curriculum
        "employees",  # accounts
        "hr",  # promotion
        "desk",  # points
        "team",  # curriculum
    ]
    assert [section.name for section in home.csr_sections()] == [
        "promotion",
        "casebase",
        "curriculum",
        "points",
        "review",
    ]


def test_a_panel_under_a_taken_name_or_order_is_refused_and_the_same_one_again_is_harmless():
    committee = home.panel("committee")
    home.register_panel(committee)  # again: harmless
    with pytest.raises(ValueError):
        home.register_panel(
            home.HomePanel(name="other", order=committee.order, permission="x", template="x")
        )
    with pytest.raises(ValueError):
        home.register_panel(
            home.HomePanel(name="committee", order=999, permission="x", template="x")
        )
    assert home.panel("committee") is committee and "other" not in {p.name for p in home.panels()}


def test_every_sandbox_kind_and_guide_part_is_registered():
    assert set(onboarding._sandbox_kinds) == set(onboarding.SANDBOX_KINDS)
    assert sorted(onboarding._guide_parts) == ["points", "promotion", "review"]
    with pytest.raises(ValueError):
        onboarding.register_guide_part("points", dict)
