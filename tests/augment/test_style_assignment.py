"""Which style each augmented file got, read back from its pixels, in every way a run can be split.

The augment fixtures' styles render different pixels (random per-style CIN affines), so every restyled
output can be matched to the one style that reproduces it from its source image. Each test checks, for
every manifest row, that the pixels, the manifest and the plan agree:

    style seen in the pixels == manifest "style" == plan_styles(seed, source image, pool, k)[copy]

for a single run, a run interrupted after the first copy of an image and resumed, two shards run
separately, and two local workers. (Byte comparisons between such runs cannot see a wrong style that
every run gets alike, e.g. "always the first planned style".)
"""
import csv
from pathlib import Path

import numpy as np
import pytest

import textvision.io as tvio
from textvision.augment import dataset as ds
from textvision.augment.dataset import AugmentOptions, augment_dataset, plan_styles
from textvision.models.style import style_net
from textvision.style.inference import stylize_batch

from .conftest import STYLES, make_icdar2015

SEED = 5
K = 2  # two copies per image: "every copy gets the first copy's style" is then visible


def _manifest(dst):
    with open(Path(dst) / ds.MANIFEST_NAME, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _renders(model, image):
    """{style: the image restyled with it} (distilled mode, the network alone)."""
    return dict(zip(STYLES, stylize_batch([image] * len(STYLES), model, list(STYLES), mode="distilled")))


def style_in_pixels(model, out_path, src_path) -> str:
    """The style whose rendering of ``src_path`` is ``out_path`` (PNG, so bit for bit up to the batching)."""
    out = tvio.read_rgb(out_path).astype(np.int16)
    dist = {s: float(np.abs(out - r.astype(np.int16)).mean()) for s, r in _renders(model, tvio.read_rgb(src_path)).items()}
    best = min(dist, key=dist.get)
    assert dist[best] < 0.5, f"{out_path} is none of the styles' renderings: {dist}"
    assert sorted(dist.values())[1] > 5.0, f"two styles render {src_path} alike: {dist}"
    return best


def _check_styles(src, dst, distilled_ckpt, n_images):
    model = style_net(weights=distilled_ckpt)
    rows = _manifest(dst)
    assert len(rows) == K * n_images
    seen = {}
    for row in rows:
        planned = plan_styles(SEED, row["source_image"], list(STYLES), K)[int(row["copy"])]
        got = style_in_pixels(model, Path(dst) / row["output_image"], Path(src) / row["source_image"])
        assert (got, row["style"]) == (planned, planned), row
        seen.setdefault(row["source_image"], []).append(got)
    # the copies of one image have distinct styles (K <= number of styles)
    assert all(len(set(v)) == K for v in seen.values()), seen


def _opts(ckpt):
    return AugmentOptions("icdar2015", str(ckpt), styles_per_image=K, seed=SEED)


def test_fixture_styles_render_differently(distilled_ckpt):
    """The check above only means something while the fixture's styles differ clearly on these images."""
    from .conftest import _draw_words

    model = style_net(weights=distilled_ckpt)
    img, _ = _draw_words(np.random.default_rng(0), 48, 96, 3)
    r = _renders(model, img)
    gaps = [float(np.abs(r[a].astype(int) - r[b].astype(int)).mean()) for a, b in
            (("ink", "neon"), ("ink", "stone"), ("neon", "stone"))]
    assert min(gaps) > 10.0, gaps


def test_manifest_matches_the_pixels(tmp_path, distilled_ckpt):
    src = make_icdar2015(tmp_path / "src", n=4)
    res = augment_dataset(src, tmp_path / "dst", _opts(distilled_ckpt), progress=False)
    assert res.merged and res.written == 4 * K
    _check_styles(src, tmp_path / "dst", distilled_ckpt, 4)


def test_resume_of_a_half_done_image_keeps_the_planned_styles(tmp_path, distilled_ckpt, monkeypatch):
    """Interrupted after the first copy of the second image: the resumed run renders its second copy
    with that copy's own planned style."""
    src = make_icdar2015(tmp_path / "src", n=3)
    dst = tmp_path / "dst"
    real = tvio.write_image
    written = []

    def interrupt_at_the_fourth(path, image, **kw):
        if len(written) == 3:
            raise KeyboardInterrupt
        written.append(Path(path))
        return real(path, image, **kw)

    monkeypatch.setattr(tvio, "write_image", interrupt_at_the_fourth)
    with pytest.raises(KeyboardInterrupt):
        augment_dataset(src, dst, _opts(distilled_ckpt), progress=False)
    monkeypatch.setattr(tvio, "write_image", real)
    # image 1 done, image 2 half done (its copy 0 on disk, copy 1 not)
    done = sorted(p.relative_to(dst).as_posix() for p in dst.rglob("*.png"))
    assert len(done) == 3
    res = augment_dataset(src, dst, _opts(distilled_ckpt), progress=False)
    assert (res.resumed, res.written) == (3, 3 * K - 3)
    _check_styles(src, dst, distilled_ckpt, 3)


def test_shards_keep_the_planned_styles(tmp_path, distilled_ckpt):
    src = make_icdar2015(tmp_path / "src", n=4)
    dst = tmp_path / "dst"
    assert not augment_dataset(src, dst, _opts(distilled_ckpt), shard=(1, 2), progress=False).merged
    assert augment_dataset(src, dst, _opts(distilled_ckpt), shard=(0, 2), progress=False).merged
    _check_styles(src, dst, distilled_ckpt, 4)


@pytest.mark.slow
def test_local_workers_keep_the_planned_styles(tmp_path, distilled_ckpt):
    src = make_icdar2015(tmp_path / "src", n=4)
    res = augment_dataset(src, tmp_path / "dst", _opts(distilled_ckpt), workers=2, progress=False)
    assert res.merged and res.written == 4 * K
    _check_styles(src, tmp_path / "dst", distilled_ckpt, 4)
