"""The README works from a clone: the rule book it links is in the repository, and it says how
to choose the address of `make run` and how long the first run takes."""

import re

from django.conf import settings


def readme() -> str:
    return (settings.BASE_DIR / "README.md").read_text(encoding="utf-8")


def test_every_relative_link_of_the_readme_is_inside_the_repository():
    for target in re.findall(r"\]\(([^)#]+)\)", readme()):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path = (settings.BASE_DIR / target).resolve()
        assert path.is_relative_to(settings.BASE_DIR) and path.exists(), target


def test_the_readme_links_the_rule_book_in_docs():
    assert "(docs/DOMAIN.md)" in readme()
    assert (
        (settings.BASE_DIR / "docs/DOMAIN.md")
        .read_text(encoding="utf-8")
        .startswith("# Domain rules")
    )


def test_the_readme_says_how_to_choose_host_and_port_and_how_long_the_first_run_takes():
    text = readme()
    assert "make run HOST=" in text and "PORT=" in text
    assert "first `make run` takes" in text
