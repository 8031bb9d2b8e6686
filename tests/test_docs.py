"""Every docs/ page's code runs as written, so the pages cannot drift from the API.

Each ```python block of ``docs/*.md`` is executed, in order, in one namespace per page (later blocks may use
names from earlier ones), in a temporary working directory, as ``tests/test_readme.py`` does for the README.
The pages' examples name the things a user has at hand; the test provides them (see :func:`_fixtures`):

- files in the working directory: ``street.jpg`` (the bundled street photograph), ``style.pt`` (a 4-style
  StyleNet whose styles are ``scenetext_word01`` .. ``04``), ``fcn.pt`` (a TextFCN), ``east.pt`` (an EAST), an
  ICDAR 2015 annotation ``ch4_training_localization_transcription_gt/gt_img_1.txt`` and an ICDAR 2015 folder
  ``icdar2015/`` (official folder names) - the networks small and untrained, so they cost nothing;
- names: ``rgb``, ``image``, ``img`` (uint8 HxWx3 RGB), ``rgb1``, ``rgb2``, ``images`` (a list of them),
  ``heatmap``, ``my_map`` (float32 HxW in [0, 1] of ``rgb``), and for the albumentations example ``boxes``,
  ``words``, ``points`` and ``mask``.

A block that is not meant to run is marked on the line before its fence with ``<!-- no-run: REASON -->``
(the reason is required). A block whose first line is ``# needs the [pretrained] extra`` runs when that
extra's package is installed.
"""
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/_markdown.py (importlib import mode)
from _markdown import page_blocks, run_blocks  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(p.name for p in DOCS.glob("*.md"))
def test_block_extraction():
    text = ("intro\n```python\nx = 1\n```\n\n<!-- no-run: needs a GPU -->\n```python\ny = 2\n```\n"
            "```bash\nls\n```\n```python\nz = x\n```\n")
    assert page_blocks(text) == [(3, "x = 1\n", None), (8, "y = 2\n", "needs a GPU"), (14, "z = x\n", None)]
    # A marker applies to the block right below it only, and an empty reason is kept (and refused below).
    assert [b[2] for b in page_blocks("<!-- no-run: -->\n```python\na\n```\ntext\n```python\nb\n```\n")] == ["", None]


@pytest.mark.parametrize("page", PAGES)
def test_no_run_markers_give_a_reason(page):
    for line, _, reason in page_blocks((DOCS / page).read_text(encoding="utf-8")):
        assert reason is None or reason, f"docs/{page} line {line}: a no-run marker without a reason"


def _fixtures(folder: Path) -> dict:
    """The files (written into ``folder``) and names the pages' examples use; see the module docstring."""
    import torch

    import textvision
    from textvision import io
    from textvision.data import TextInstance, write_icdar2015
    from textvision.models.east import EAST, save_east
    from textvision.models.style import StyleNet
    from textvision.models.text_fcn import TextFCN, save_text_fcn
    from textvision.style import save_style_model

    street = io.read_rgb(Path(textvision.__file__).parent / "assets" / "scenetext01.jpg")
    io.write_image(folder / "street.jpg", street)
    torch.manual_seed(0)
    save_style_model(StyleNet(4, [f"scenetext_word0{i}" for i in range(1, 5)], base_channels=4, num_res_blocks=1),
                     folder / "style.pt")
    save_text_fcn(folder / "fcn.pt", TextFCN("lite", widths=(4, 4, 4, 4, 4)))
    save_east(folder / "east.pt", EAST("tiny"))
    words = [TextInstance(np.array([[279, 36], [427, 34], [427, 76], [279, 78]], np.float32), "NOTICE")]
    for gt in (folder / "ch4_training_localization_transcription_gt",
               folder / "icdar2015" / "ch4_training_localization_transcription_gt"):
        gt.mkdir(parents=True)
        write_icdar2015(gt / "gt_img_1.txt", words)
    (folder / "icdar2015" / "ch4_training_images").mkdir()
    io.write_image(folder / "icdar2015" / "ch4_training_images" / "img_1.jpg", street)

    rgb = np.ascontiguousarray(street[:280, 240:480])  # the crop with the sign's five words
    heatmap = textvision.segment(rgb)
    return {
        "rgb": rgb, "image": rgb, "img": rgb, "rgb1": rgb, "rgb2": np.ascontiguousarray(street[300:, :320]),
        "images": [rgb, np.ascontiguousarray(street[300:, :320])], "heatmap": heatmap, "my_map": heatmap,
        "boxes": [(39, 36, 187, 78)], "words": ["NOTICE"], "points": [(50.0, 50.0)],
        "mask": (heatmap > 0.5).astype(np.uint8),
    }


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    folder = tmp_path_factory.mktemp("docs")
    return folder, _fixtures(folder)


@pytest.mark.parametrize("page", [p for p in PAGES if "```python" in (DOCS / p).read_text(encoding="utf-8")])
def test_docs_python_blocks_run(page, fixtures, monkeypatch):
    folder, names = fixtures
    path = DOCS / page
    monkeypatch.chdir(folder)
    ran = run_blocks(path, f"docs/{page}", {"__name__": "__docs__", **names})
    if not ran:
        pytest.skip(f"docs/{page}: every python block is marked no-run or needs the [pretrained] extra")
