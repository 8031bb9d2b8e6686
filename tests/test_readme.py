"""The README's code runs as written, and the user-facing pages stay user-facing.

Every ```python block of README.md is executed, in order, in one namespace (later blocks may use
names from earlier ones), in a temporary working directory so that files a block writes land there. A
block whose first line is ``# needs the [pretrained] extra`` runs when that extra's package is installed.
"""
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)


def python_blocks(text: str):
    """(line number of its first code line, source) of every ```python fenced block of a Markdown text."""
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in _BLOCK.finditer(text)]


def test_block_extraction():
    text = "intro\n```python\nx = 1\n```\n\n```bash\nls\n```\n```python\ny = x + 1\n```\n"
    assert python_blocks(text) == [(3, "x = 1\n"), (10, "y = x + 1\n")]


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    assert blocks, "README.md has no ```python block: the API tour is gone"
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__readme__"}
    pretrained = importlib.util.find_spec("easyocr_en_models") is not None
    for line, source in blocks:
        if source.startswith("# needs the [pretrained] extra") and not pretrained:
            continue
        # padded so that tracebacks give the line numbers of README.md itself
        code = compile("\n" * (line - 1) + source, str(README), "exec")
        try:
            exec(code, namespace)
        except Exception as exc:  # noqa: BLE001 - re-raised with the block's location
            pytest.fail(f"README.md python block at line {line} raised {type(exc).__name__}: {exc}")


def test_readme_is_a_users_page():
    n = len(README.read_text(encoding="utf-8").splitlines())
    assert n <= 300, f"README.md has {n} lines; per-area details belong in docs/ (limit 300)"


@pytest.mark.parametrize("path", ["README.md", "benchmarks/README.md", *sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))])
def test_user_pages_do_not_name_shared_paths(path):
    text = (ROOT / path).read_text(encoding="utf-8")
    assert "../shared" not in text, f"{path} names ../shared, a folder of the build machine"
