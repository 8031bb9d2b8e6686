"""Running a Markdown page's ```python blocks as tests (README.md's tour, every docs/ page): one extractor, one runner."""
import importlib.util
import re
from pathlib import Path

import pytest

_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
_NO_RUN = re.compile(r"<!--\s*no-run:(.*?)-->\s*\n$")
PRETRAINED_MARK = "# needs the [pretrained] extra"


def page_blocks(text: str):
    """(line of the block's first code line, source, no-run reason or None) for every ```python block."""
    out = []
    for m in _BLOCK.finditer(text):
        mark = _NO_RUN.search(text[:m.start()])  # the marker ends the text above the fence
        out.append((text.count("\n", 0, m.start(1)) + 1, m.group(1), None if mark is None else mark.group(1).strip()))
    return out


def run_blocks(path: Path, label: str, namespace: dict) -> int:
    """Run ``path``'s python blocks in order in ``namespace``; no-run blocks and, without the [pretrained] extra,
    blocks starting with :data:`PRETRAINED_MARK` are left out. A failing block fails the test with its page line.

    Returns:
        how many blocks ran."""
    pretrained = importlib.util.find_spec("easyocr_en_models") is not None
    ran = 0
    for line, source, no_run in page_blocks(path.read_text(encoding="utf-8")):
        if no_run is not None or (source.startswith(PRETRAINED_MARK) and not pretrained):
            continue
        # padded so that tracebacks give the line numbers of the page itself
        code = compile("\n" * (line - 1) + source, str(path), "exec")
        try:
            exec(code, namespace)
        except Exception as exc:  # noqa: BLE001 - re-raised with the block's location
            pytest.fail(f"{label} python block at line {line} raised {type(exc).__name__}: {exc}")
        ran += 1
    return ran
