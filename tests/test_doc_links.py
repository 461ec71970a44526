"""The docs can be followed from the repository alone (issue 10, "Docs and packaging").

* every relative link in README.md and docs/ names a file of the repository,
  and an anchor that one of its headings produces (GitHub's rule);
* every "§N" section reference in docs/*.md is a link, so a reader can tell
  which file it points to (docs/reference/go-scheduler.md, another page, or
  the page itself) and follow it;
* no path of the machine the docs were written on (/work, /root, /tmp);
* the matplotlib install hint has one wording wherever it is printed or written.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md")) + [ROOT / "README.md"]
OWN_PAGES = [p for p in PAGES if DOCS / "reference" not in p.parents]   # not the copies

FENCE = re.compile(r"^\s*(```|~~~).*?^\s*\1[^\n]*$", re.M | re.S)
CODE_SPAN = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\[((?:[^\[\]]|\[[^\]]*\])*)\]\(([^)\s]+)\)")


def prose(text):
    """`text` without fenced blocks and inline code (same length, blanked)."""
    blank = lambda m: re.sub(r"[^\n]", " ", m.group(0))   # noqa: E731
    return CODE_SPAN.sub(blank, FENCE.sub(blank, text))


def anchors(path):
    """GitHub's heading anchors: lower-case, punctuation dropped, spaces to '-'."""
    out, seen = set(), {}
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    for m in re.finditer(r"^#{1,6}[ \t]+(.*?)[ \t#]*$", text, re.M):
        title = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", m.group(1))
        slug = re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    out.update(re.findall(r'<a (?:id|name)="([^"]+)"', text))
    return out


def links(path):
    text = prose(path.read_text(encoding="utf-8"))
    for m in LINK.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        yield line, m.group(1), m.group(2)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page):
    bad = []
    for line, _, target in links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):      # http:, https:, mailto:
            continue
        file, _, anchor = target.partition("#")
        dest = (page.parent / file).resolve() if file else page
        if not dest.is_file():
            bad.append(f"{page.name}:{line}: {target} (no such file)")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            bad.append(f"{page.name}:{line}: {target} (no such heading)")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("page", OWN_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_section_references_are_links(page):
    text = prose(page.read_text(encoding="utf-8"))
    linked = [range(m.start(1), m.end(1)) for m in LINK.finditer(text)]
    bad = []
    for m in re.finditer(r"§\s*[0-9A-F]", text):
        if not any(m.start() in r for r in linked):
            line = text.count("\n", 0, m.start()) + 1
            bad.append(f"{page.name}:{line}: {text.splitlines()[line - 1].strip()[:80]}")
    assert not bad, "section references that are not links:\n" + "\n".join(bad)


def test_reference_is_in_the_repository():
    for name in ("go-scheduler.md", "go-runtime-wave2.md"):
        text = (DOCS / "reference" / name).read_text(encoding="utf-8")
        assert "## 2." in text and ">>> " not in text     # no doctests in the copies
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    assert "(reference/go-scheduler.md)" in index and "(reference/go-runtime-wave2.md)" in index


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_machine_paths(page):
    text = page.read_text(encoding="utf-8")
    found = [f"{page.name}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}"
             for m in re.finditer(r"(?<![\w.~-])/(?:work|root|tmp)/\S*", text)]
    assert not found, "\n".join(found)


HINT_FILES = sorted((ROOT / "gmpcore").glob("*.py")) + OWN_PAGES


def test_plot_install_hint_has_one_wording():
    # gmpcore is not on PyPI: "pip install 'gmpcore[plot]'" cannot work (or
    # would fetch someone else's package).  What always works is installing
    # matplotlib; from a checkout the extra does the same.
    bad = []
    for path in HINT_FILES:
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "gmpcore[plot]" in line:
                bad.append(f"{path.relative_to(ROOT)}:{i}: {line.strip()}")
    assert not bad, "install hints naming the unpublished 'gmpcore[plot]':\n" + "\n".join(bad)
