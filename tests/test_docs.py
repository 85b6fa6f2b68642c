"""The documentation: every relative link and image reaches a file, every anchor one of its headings.

Anchors follow GitHub's rule for a heading's id: its text in lowercase, punctuation other than
'-' and '_' dropped, spaces turned into '-', and '-1', '-2', ... added to a repeated one.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from tests.conftest import ROOT

README_MOST_LINES = 300

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
# [text](target) and ![alt](target), with an optional "title"; the text may hold one level of [...].
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^()\s<>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def markdown_files() -> list[Path]:
    return [
        ROOT / "README.md",
        ROOT / "CONTRIBUTING.md",
        *sorted((ROOT / "docs").glob("*.md")),
        ROOT / "bench" / "README.md",
    ]


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks, with inline code spans blanked out."""
    lines, fence = [], ""
    for line in text.splitlines():
        opened = FENCE.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = ""
            continue
        if opened:
            fence = opened.group(1)
            continue
        lines.append(line)
    return lines


def slug(heading: str) -> str:
    """GitHub's id for a heading: ``Overview: grid, stats`` is ``overview-grid-stats``."""
    text = LINK.sub(lambda m: m.group(0)[m.group(0).index("[") + 1 : m.group(0).rindex("](")], heading)
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in prose_lines(path.read_text(encoding="utf-8")):
        match = HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def targets(path: Path) -> list[str]:
    """Every relative link and image target in ``path``, in order."""
    found = []
    for line in prose_lines(path.read_text(encoding="utf-8")):
        definition = DEFINITION.match(line)
        if definition:
            found.append(definition.group(1))
            continue
        line = CODE_SPAN.sub("code", line)
        found.extend(m.group(1) for m in LINK.finditer(line))
    return [t for t in found if not SCHEME.match(t)]


def broken_links(path: Path) -> list[str]:
    """``path``'s links whose file is missing or whose anchor names no heading of it."""
    broken = []
    name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    for target in targets(path):
        file_part, _, anchor = target.partition("#")
        reached = (path.parent / unquote(file_part)).resolve() if file_part else path
        if not reached.exists():
            broken.append(f"{name}: {target} (no such file)")
        elif anchor and reached.suffix == ".md" and unquote(anchor) not in anchors(reached):
            broken.append(f"{name}: {target} (no such heading)")
    return broken


def test_every_markdown_file_is_checked() -> None:
    hidden = (".", "build", "node_modules")  # .venv, .git, the tools' caches (.pytest_cache holds a README.md)
    found = {p for p in ROOT.rglob("*.md") if not any(x.startswith(hidden) for x in p.relative_to(ROOT).parts)}
    assert found <= set(markdown_files()), f"not checked: {sorted(found - set(markdown_files()))}"
    assert all(p.exists() for p in markdown_files())


def test_every_link_reaches_a_file_and_a_heading() -> None:
    broken = [problem for path in markdown_files() for problem in broken_links(path)]
    assert broken == []


def test_the_documents_link_to_each_other() -> None:
    assert len(targets(ROOT / "README.md")) >= 10
    assert "docs/report-example.png" in targets(ROOT / "README.md")


def test_the_readme_stays_short() -> None:
    lines = len((ROOT / "README.md").read_text(encoding="utf-8").splitlines())
    assert lines <= README_MOST_LINES, f"README.md has {lines} lines; move the detail to docs/"


def test_a_broken_link_or_anchor_is_caught(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other page\n\n## Who did what?\n\n## Setup\n\n## Setup\n")
    (tmp_path / "picture.png").write_bytes(b"")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page: the `[settings]` table\n\n"
        "[fine](other.md#who-did-what) [fine too](other.md#setup-1) ![a picture](picture.png)\n"
        "[here](#page-the-settings-table) [web](https://example.org/nothing.md) `[not a link](gone.md)`\n"
        "```\n[in a code block](gone.md)\n```\n"
        "[no file](missing.md) ![no picture](missing.png) [no heading](other.md#nowhere)\n"
        "[no heading here](#nowhere) [code in the text: `[x]`](other.md#setup-2)\n"
    )
    assert broken_links(page) == [
        f"{page}: missing.md (no such file)",
        f"{page}: missing.png (no such file)",
        f"{page}: other.md#nowhere (no such heading)",
        f"{page}: #nowhere (no such heading)",
        f"{page}: other.md#setup-2 (no such heading)",
    ]


def test_slugs_follow_github() -> None:
    assert slug("Overview: grid, stats and the year report") == "overview-grid-stats-and-the-year-report"
    assert slug("`[habits.ID]`") == "habitsid"
    assert slug("What `init --join` does") == "what-init---join-does"
    assert slug("Today's figures") == "todays-figures"
    assert slug("2026-11-28: the session-bus connection") == "2026-11-28-the-session-bus-connection"
