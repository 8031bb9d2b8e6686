"""Small generated datasets and tiny random-init models for the augmentation tests.

No test here needs trained weights: the data plumbing is what is tested (the restyling itself is the
style area's), so a 4-channel StyleNet and a 4-channel TextFCN with random weights will do.
"""
import hashlib
import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from textvision.augment.dataset import WORK_DIR

STYLES = ["ink", "neon", "stone"]
# The official ICDAR 2015 training folders (IcdarDataset recognises them).
IMG = "ch4_training_images"
GT = "ch4_training_localization_transcription_gt"


def _draw_words(rng, h, w, n):
    """An RGB image with ``n`` words drawn in axis-aligned boxes; returns (image, [(quad, word)])."""
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = rng.integers(60, 200, 3)
    img = np.clip(img.astype(int) + rng.integers(-20, 20, (h, w, 1)), 0, 255).astype(np.uint8)
    words = []
    for j in range(n):
        word = ["SALE", "OPEN", "taxi", "a,b"][j % 4]
        x, y = 4 + 30 * j, 14 + 18 * (j % 2)
        cv2.putText(img, word, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1)
        quad = [(x, y - 10), (x + 28, y - 10), (x + 28, y + 2), (x, y + 2)]
        words.append((quad, word))
    return img, words


def _write_image(path: Path, img: np.ndarray):
    path.parent.mkdir(parents=True, exist_ok=True)
    ok, buf = cv2.imencode(path.suffix, cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    assert ok
    path.write_bytes(buf.tobytes())


@pytest.fixture(scope="session")
def style_ckpt(tmp_path_factory):
    """A tiny two-stage style checkpoint (random init) in the project's checkpoint format."""
    from textvision.models.style import StyleNet
    from textvision.style.inference import save_style_model

    torch.manual_seed(0)
    model = StyleNet(len(STYLES), STYLES, base_channels=4, num_res_blocks=1, kind="two-stage")
    # Random CIN affines per style, so that different styles give visibly different images.
    with torch.no_grad():
        for m in model.modules():
            if hasattr(m, "gamma") and hasattr(m, "beta"):
                m.gamma.uniform_(0.5, 1.5)
                m.beta.uniform_(-0.5, 0.5)
    path = tmp_path_factory.mktemp("models") / "style.pt"
    save_style_model(model, path)
    return path


@pytest.fixture(scope="session")
def distilled_ckpt(tmp_path_factory):
    """A tiny distilled style checkpoint (random init) whose styles render different pixels.

    A fresh StyleNet has every style's CIN gamma = 1 and beta = 0, so all styles would give the same
    image and no test could tell which style a file got; random per-style affines make them differ by
    about 20 grey levels on average (``test_style_assignment`` checks that they stay apart).
    """
    from textvision.models.style import StyleNet
    from textvision.style.inference import save_style_model

    torch.manual_seed(1)
    model = StyleNet(len(STYLES), STYLES, base_channels=4, num_res_blocks=1, kind="distilled")
    with torch.no_grad():
        for m in model.modules():
            if hasattr(m, "gamma") and hasattr(m, "beta"):
                m.gamma.uniform_(0.5, 1.5)
                m.beta.uniform_(-0.5, 0.5)
    path = tmp_path_factory.mktemp("models") / "distilled.pt"
    save_style_model(model, path)
    return path


@pytest.fixture(scope="session")
def fcn_ckpt(tmp_path_factory):
    """A tiny TextFCN (random init, biased so its map varies across the image) saved as a checkpoint."""
    from textvision.models.text_fcn import TextFCN, save_text_fcn

    torch.manual_seed(2)
    model = TextFCN("lite", widths=(4, 4, 4, 4, 4))
    with torch.no_grad():  # larger than init weights: a map that varies across the image
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.5)
    path = tmp_path_factory.mktemp("models") / "fcn.pt"
    save_text_fcn(path, model)
    return path


def make_icdar2015(root: Path, n=5, size=(48, 96), seed=0, ext=".png"):
    """ICDAR 2015 layout: images and gt in sibling folders, BOM + CRLF gt with a don't-care and a comma."""
    rng = np.random.default_rng(seed)
    for i in range(1, n + 1):
        img, words = _draw_words(rng, size[0], size[1], 3)
        _write_image(root / IMG / f"img_{i}{ext}", img)
        lines = []
        for j, (quad, word) in enumerate(words):
            coords = ",".join(f"{x},{y}" for x, y in quad)
            lines.append(f"{coords},{'###' if j == 1 else word}")
        (root / GT).mkdir(parents=True, exist_ok=True)
        (root / GT / f"gt_img_{i}.txt").write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    return root


def make_icdar2013(root: Path, n=4, size=(48, 96), seed=1):
    """ICDAR 2013 training layout: ``N.jpg`` and space-separated ``gt_N.txt`` in one folder."""
    rng = np.random.default_rng(seed)
    for i in range(100, 100 + n):
        img, words = _draw_words(rng, size[0], size[1], 2)
        _write_image(root / f"{i}.png", img)
        lines = [f'{q[0][0]} {q[0][1]} {q[2][0]} {q[2][1]} "{w}"' for q, w in words]
        (root / f"gt_{i}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def make_cocotext(root: Path, n=4, size=(48, 96), seed=2):
    """COCO-Text: a JSON with imgs/anns/imgToAnns and images under train2014/ (one image has no text)."""
    rng = np.random.default_rng(seed)
    data = {"info": {"description": "test"}, "cats": {}, "imgs": {}, "anns": {}, "imgToAnns": {}}
    ann_id = 1000
    for k in range(n):
        img_id = 9 + 10 * k
        name = f"COCO_train2014_{img_id:012d}.jpg"
        img, words = _draw_words(rng, size[0], size[1], 0 if k == 2 else 2)
        _write_image(root / "train2014" / name, img)
        data["imgs"][str(img_id)] = {"id": img_id, "file_name": name, "width": size[1], "height": size[0],
                                     "set": "train" if k < n - 1 else "val"}
        data["imgToAnns"][str(img_id)] = []
        for quad, word in words:
            x1, y1 = quad[0]
            x2, y2 = quad[2]
            data["anns"][str(ann_id)] = {
                "id": ann_id, "image_id": img_id, "bbox": [x1, y1, x2 - x1, y2 - y1], "area": (x2 - x1) * (y2 - y1),
                "utf8_string": word, "legibility": "legible" if word != "taxi" else "illegible",
                "class": "machine printed", "language": "english",
                "mask": [x1, y1, x2, y1, x2, y2, x1, y2]}
            data["imgToAnns"][str(img_id)].append(ann_id)
            ann_id += 1
    (root / "COCO_Text.json").write_text(json.dumps(data), encoding="utf-8")
    return root


def tree_digest(root: Path, skip=(WORK_DIR, "augment_summary.json")) -> dict:
    """{relative path: sha256} of every file under ``root`` (outside ``skip``)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root)
        if rel_dir.parts and rel_dir.parts[0] in skip:
            continue
        for name in filenames:
            rel = (rel_dir / name).as_posix()
            if rel in skip:
                continue
            out[rel] = hashlib.sha256((Path(dirpath) / name).read_bytes()).hexdigest()
    return out
