"""Documentation is tested: the command reference matches the commands."""

from pathlib import Path

from carecast.cli.reference import render

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_cli_reference_is_current():
    written = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert written == render(), (
        "docs/cli.md is stale: python -m carecast.cli.reference > docs/cli.md"
    )


def test_readme_starts_with_the_two_setup_commands():
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8").splitlines()
    block = readme[readme.index("```bash") + 1 : readme.index("```")]
    assert block[0].startswith("make run") and block[1].startswith("make test")
