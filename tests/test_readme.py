"""The README's code runs as written, and the user-facing pages stay user-facing.

Every ```python block of README.md is executed, in order, in one namespace (later blocks may use
names from earlier ones), in a temporary working directory so that files a block writes land there. A
block whose first line is ``# needs the [pretrained] extra`` runs when that extra's package is installed.
"""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/_markdown.py (importlib import mode)
from _markdown import page_blocks, run_blocks  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def test_block_extraction():
    text = "intro\n```python\nx = 1\n```\n\n```bash\nls\n```\n```python\ny = x + 1\n```\n"
    assert page_blocks(text) == [(3, "x = 1\n", None), (10, "y = x + 1\n", None)]


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    blocks = page_blocks(README.read_text(encoding="utf-8"))
    assert blocks, "README.md has no ```python block: the API tour is gone"
    assert all(no_run is None for _, _, no_run in blocks), "README.md's tour runs whole: no no-run markers"
    monkeypatch.chdir(tmp_path)
    run_blocks(README, "README.md", {"__name__": "__readme__"})


def test_readme_is_a_users_page():
    n = len(README.read_text(encoding="utf-8").splitlines())
    assert n <= 300, f"README.md has {n} lines; per-area details belong in docs/ (limit 300)"


@pytest.mark.parametrize("path", ["README.md", "benchmarks/README.md", *sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))])
def test_user_pages_do_not_name_shared_paths(path):
    text = (ROOT / path).read_text(encoding="utf-8")
    assert "../shared" not in text, f"{path} names ../shared, a folder of the build machine"
