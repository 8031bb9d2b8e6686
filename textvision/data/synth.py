"""Synthetic scene-text images with exact ground truth.

Nothing here downloads anything: typefaces come from OpenCV's Hershey vector fonts (nine faces,
italic variants) and Pillow's built-in scalable font (Aileron, regular and bold by stroking);
TrueType files can be added with ``fonts=``. Each text line is rendered to a local alpha canvas,
warped into the scene by one perspective transform (rotation, aspect, keystone) and composited with
a contrast-controlled colour, optional outline and shadow. The ground truth is exact by
construction:

- ``mask`` is the set of pixels where the warped glyph (plus outline) alpha exceeds 0.5: the
  rendered text pixels, not boxes;
- each quad is the word's tight canvas box (grown by half a pixel plus a small margin for OpenCV's
  1/32-pixel warp grid) mapped by the same transform. Bilinear sampling only exceeds 0.5 within half
  a pixel of a non-zero source pixel, so every mask pixel lies inside a quad.

``render_scene(seed)`` is deterministic: the same seed gives the same image, on any machine with the
same OpenCV / Pillow versions (system fonts are never picked up implicitly).
"""
from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from textvision.data.instances import TextInstance, signed_area
from textvision.io import read_rgb

__all__ = ["SynthScene", "render_scene", "SynthDataset", "FACES", "load_words", "find_fonts"]

SeedLike = Union[int, Sequence[int]]


class SynthScene(NamedTuple):
    """One synthetic scene.

    Attributes:
        image: uint8 [H, W, 3] RGB.
        instances: list of :class:`TextInstance`, one per word, quads clockwise from the top-left;
            ``attrs`` holds the typeface name, cap height (px, before perspective) and angle (deg).
        mask: uint8 [H, W] in {0, 1}: the rendered text pixels (glyphs and their outlines).
    """

    image: np.ndarray
    instances: List[TextInstance]
    mask: np.ndarray


# ----------------------------------------------------------------------------------------------
# Typefaces
# ----------------------------------------------------------------------------------------------
class _Face(NamedTuple):
    name: str
    kind: str  # "hershey" | "pil"
    font: object  # cv2 font id, or a TrueType path (None = Pillow's built-in font)
    bold: bool = False
    oblique: bool = False  # slant by shearing the rendered glyphs (for faces without an italic)


_H = cv2
FACES: Dict[str, _Face] = {
    f.name: f
    for f in (
        _Face("hershey_simplex", "hershey", _H.FONT_HERSHEY_SIMPLEX),
        # OpenCV has no italic simplex glyphs (FONT_ITALIC leaves it upright): slant it ourselves.
        _Face("hershey_simplex_oblique", "hershey", _H.FONT_HERSHEY_SIMPLEX, oblique=True),
        _Face("hershey_duplex", "hershey", _H.FONT_HERSHEY_DUPLEX),
        _Face("hershey_complex", "hershey", _H.FONT_HERSHEY_COMPLEX),
        _Face("hershey_complex_italic", "hershey", _H.FONT_HERSHEY_COMPLEX | _H.FONT_ITALIC),
        _Face("hershey_triplex", "hershey", _H.FONT_HERSHEY_TRIPLEX),
        _Face("hershey_triplex_italic", "hershey", _H.FONT_HERSHEY_TRIPLEX | _H.FONT_ITALIC),
        _Face("hershey_plain", "hershey", _H.FONT_HERSHEY_PLAIN),
        _Face("hershey_script_simplex", "hershey", _H.FONT_HERSHEY_SCRIPT_SIMPLEX),
        _Face("hershey_script_complex", "hershey", _H.FONT_HERSHEY_SCRIPT_COMPLEX),
        _Face("pillow_sans", "pil", None),
        _Face("pillow_sans_bold", "pil", None, True),
        _Face("pillow_sans_oblique", "pil", None, oblique=True),
    )
}
"""Built-in typefaces (name -> face): thirteen faces needing no font files."""


@functools.lru_cache(maxsize=256)
def _pil_font(path: Optional[str], size: int):
    from PIL import ImageFont

    if path is None:
        font = ImageFont.load_default(size=size)
        if not isinstance(font, ImageFont.FreeTypeFont):  # a Pillow build without FreeType
            raise RuntimeError("this Pillow has no FreeType support, so its built-in font cannot be scaled; "
                               "use faces=[...] without the pillow_* faces")
        return font
    return ImageFont.truetype(path, size)


def _render_word(text: str, face: _Face, height: float, weight: float, pad: int) -> np.ndarray:
    """Render ``text`` white-on-black to a float32 alpha canvas [h, w] in [0, 1].

    ``height`` is the cap height in pixels; ``weight`` in [0, 1] thickens strokes. The canvas has
    ``pad`` empty pixels around the glyphs (at least), and the baseline sits at a fixed fraction of
    the canvas so that words of one line align when their canvases are concatenated.
    """
    if face.kind == "hershey":
        thickness = max(1, int(round(height * (0.05 + 0.10 * weight))))
        scale = cv2.getFontScaleFromHeight(face.font, max(2, int(round(height))), thickness)
        (tw, th), base = cv2.getTextSize(text, face.font, scale, thickness)
        slant = int(math.ceil(0.35 * th)) if face.font & cv2.FONT_ITALIC or "script" in face.name else 0
        w = tw + 2 * pad + 2 * thickness + slant
        # Fixed vertical layout from the cap height keeps the baseline common to a line.
        asc = int(math.ceil(th * 1.25)) + thickness
        desc = int(math.ceil(th * 0.55)) + thickness
        canvas = np.zeros((asc + desc + 2 * pad, w), np.uint8)
        cv2.putText(canvas, text, (pad + thickness, pad + asc), face.font, scale, 255, thickness, cv2.LINE_AA)
    else:
        from PIL import Image, ImageDraw

        size = max(6, int(round(height / 0.70)))
        font = _pil_font(face.font, size)
        stroke = max(1, int(round(size * 0.04 * (1 + weight)))) if face.bold else 0
        left, top, right, bottom = font.getbbox(text, stroke_width=stroke)
        ascent, descent = font.getmetrics()
        w = right - left + 2 * pad + 2 * stroke
        hh = ascent + descent + 2 * pad + 2 * stroke
        img = Image.new("L", (max(1, w), max(1, hh)), 0)
        ImageDraw.Draw(img).text((pad + stroke - left, pad + stroke), text, fill=255, font=font,
                                 stroke_width=stroke, stroke_fill=255)
        canvas = np.asarray(img)
    alpha = canvas.astype(np.float32) * (1.0 / 255.0)
    if face.oblique:
        # x' = x + k * (baseline - y): glyphs lean right about the baseline, canvas widened to fit
        k = 0.25
        hh, ww = alpha.shape
        extra = int(math.ceil(k * hh))
        shear = np.array([[1.0, -k, k * hh], [0.0, 1.0, 0.0]], np.float32)
        alpha = cv2.warpAffine(alpha, shear, (ww + extra, hh), flags=cv2.INTER_LINEAR)
    # Drop the faint anti-aliasing fringe so that the boxes are tight around visible ink.
    alpha[alpha < 0.2] = 0.0
    return alpha


# ----------------------------------------------------------------------------------------------
# Words
# ----------------------------------------------------------------------------------------------
_WORDS_FILE = Path(__file__).with_name("words.txt")


def find_fonts(dirs: Sequence[Union[str, Path]], probe: str = "AaBbEeGgRrSs0123", *,
               required: bool = False) -> List[str]:
    """TrueType / OpenType files under ``dirs`` (recursive, sorted) that draw Latin letters and digits.

    A font without glyphs for ``probe`` (symbol, music and other-script faces, which would render
    every Latin letter as the same empty box) is left out: each probe character must render a
    non-empty glyph, and no two of them the same bitmap. Files Pillow cannot open are left out too.

    Args:
        required: raise instead of returning an empty list (what a ``--fonts DIR`` option wants).

    Returns:
        paths for ``render_scene(fonts=...)``.

    Raises:
        ValueError: ``required`` and no usable face under ``dirs`` (the folders named).
    """
    from PIL import ImageFont

    out = []
    for d in dirs:
        for path in sorted(Path(d).rglob("*")):
            if path.suffix.lower() not in (".ttf", ".otf") or not path.is_file():
                continue
            try:
                font = ImageFont.truetype(str(path), 24)
                masks = [bytes(font.getmask(ch)) for ch in probe]
            except (OSError, ValueError):
                continue
            if all(masks) and len(set(masks)) == len(probe):
                out.append(str(path))
    if required and not out:
        raise ValueError(f"no TrueType/OpenType face with Latin glyphs under {', '.join(map(str, dirs))}")
    return out


@functools.lru_cache(maxsize=1)
def load_words() -> Tuple[str, ...]:
    """The built-in word list (``textvision/data/words.txt``), one ASCII word per line."""
    words = [w.strip() for w in _WORDS_FILE.read_text(encoding="utf-8").splitlines()]
    return tuple(w for w in words if w and not w.startswith("#"))


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DIGITS = "0123456789"


def _random_word(rng: np.random.Generator, words: Sequence[str]) -> str:
    r = rng.random()
    if r < 0.72:
        w = words[int(rng.integers(len(words)))]
        c = rng.random()
        if c < 0.35:
            return w.upper()
        if c < 0.7:
            return w.capitalize()
        return w
    if r < 0.80:  # numbers, prices, times
        k = rng.random()
        if k < 0.4:
            return "".join(rng.choice(list(_DIGITS), size=int(rng.integers(1, 6))))
        if k < 0.7:
            return f"${int(rng.integers(1, 999))}.{int(rng.integers(0, 100)):02d}"
        return f"{int(rng.integers(0, 24)):02d}:{int(rng.integers(0, 60)):02d}"
    if r < 0.90:  # codes like "A4-221"
        n = int(rng.integers(2, 5))
        s = "".join(rng.choice(list(_LETTERS + _DIGITS), size=n))
        return s + "-" + "".join(rng.choice(list(_DIGITS), size=int(rng.integers(1, 4))))
    # random letter strings (pseudo words)
    n = int(rng.integers(2, 9))
    s = "".join(rng.choice(list(_LETTERS.lower()), size=n))
    return s.upper() if rng.random() < 0.4 else s


# ----------------------------------------------------------------------------------------------
# Backgrounds
# ----------------------------------------------------------------------------------------------
def _rand_color(rng) -> np.ndarray:
    return rng.integers(0, 256, size=3).astype(np.float32)


def _ramp(rng, h, w) -> np.ndarray:
    """float32 [H, W] linear ramp in [0, 1] along a random direction (an outer sum: cheap)."""
    theta = rng.uniform(0, 2 * np.pi)
    tx = np.arange(w, dtype=np.float32) * np.float32(math.cos(theta))
    ty = np.arange(h, dtype=np.float32) * np.float32(math.sin(theta))
    t = ty[:, None] + tx[None, :]
    lo, hi = float(t.min()), float(t.max())
    return (t - lo) * np.float32(1.0 / max(1e-6, hi - lo))


def _gradient(rng, h, w) -> np.ndarray:
    a, b = _rand_color(rng), _rand_color(rng)
    return a[None, None] + (b - a)[None, None] * _ramp(rng, h, w)[..., None]


def _blotches(rng, h, w) -> np.ndarray:
    gh, gw = int(rng.integers(2, 12)), int(rng.integers(2, 12))
    small = rng.uniform(0, 255, size=(gh, gw, 3)).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC).clip(0, 255)


def _stripes(rng, h, w) -> np.ndarray:
    a, b = _rand_color(rng), _rand_color(rng)
    theta = rng.uniform(0, np.pi)
    period = rng.uniform(6, max(8.0, min(h, w) / 3))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    t = (xx * math.cos(theta) + yy * math.sin(theta)) * (2 * np.pi / period)
    s = np.sin(t)
    s = (s > 0).astype(np.float32) if rng.random() < 0.5 else 0.5 + 0.5 * s
    return a[None, None] * (1 - s[..., None]) + b[None, None] * s[..., None]


def _tiles(rng, h, w) -> np.ndarray:
    img = np.empty((h, w, 3), np.float32)
    img[:] = _rand_color(rng)
    mortar = tuple(float(v) for v in _rand_color(rng))
    th, tw = int(rng.integers(8, 60)), int(rng.integers(12, 120))
    lw = int(rng.integers(1, 4))
    for r, y in enumerate(range(0, h, th)):
        cv2.line(img, (0, y), (w, y), mortar, lw)
        off = (tw // 2) * (r % 2)
        for x in range(off, w, tw):
            cv2.line(img, (x, y), (x, min(h, y + th)), mortar, lw)
    return img


def _texture(rng, h, w) -> np.ndarray:
    """Multi-octave value noise tinted between two colours (concrete, foliage, paper, wood...)."""
    t = np.zeros((h, w), np.float32)
    amp, total = 1.0, 0.0
    for cells in (4, 16, 64, 256):
        if cells > max(h, w):
            break
        small = rng.random((max(2, cells * h // max(h, w)), max(2, cells * w // max(h, w)))).astype(np.float32)
        t += amp * cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        total += amp
        amp *= rng.uniform(0.4, 0.8)
    t /= total
    if rng.random() < 0.3:  # streaks (wood grain, brushed metal)
        t = cv2.GaussianBlur(t, (0, 0), sigmaX=rng.uniform(8, 30), sigmaY=0.5)
    t = (t - t.min()) / max(1e-6, float(t.max() - t.min()))
    a = _rand_color(rng)
    b = (a + rng.normal(0, 60, 3)).clip(0, 255).astype(np.float32)
    return a[None, None] * (1 - t[..., None]) + b[None, None] * t[..., None]


def _load_background(bg, rng, h, w) -> np.ndarray:
    if isinstance(bg, (str, Path)):
        img = read_rgb(bg)
    else:
        img = np.asarray(bg)
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=2)
        if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
            raise ValueError(f"background images must be uint8 HxWx3 RGB, got {img.dtype} {img.shape}")
    ih, iw = img.shape[:2]
    # Random crop with the target aspect ratio, then resize.
    s = rng.uniform(0.5, 1.0)
    ch, cw = ih * s, ih * s * w / h
    if cw > iw:
        cw, ch = iw * s, iw * s * h / w
    y0, x0 = rng.uniform(0, ih - ch), rng.uniform(0, iw - cw)
    crop = img[int(y0):int(y0 + ch) or 1, int(x0):int(x0 + cw) or 1]
    return cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)


def _clutter(rng, img: np.ndarray, n: int) -> None:
    """Shapes, lines and text-like distractors (bars, dots, pseudo-glyph rows) drawn in place."""
    h, w = img.shape[:2]
    for _ in range(n):
        c = tuple(float(v) for v in _rand_color(rng))
        k = rng.random()
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        if k < 0.25:  # panels / signs (also good places for text to land on)
            pw, ph = int(rng.integers(w // 10, w // 2 + 1)), int(rng.integers(h // 12, h // 3 + 1))
            cv2.rectangle(img, (x, y), (x + pw, y + ph), c, -1)
        elif k < 0.4:
            cv2.ellipse(img, (x, y), (int(rng.integers(3, w // 6 + 4)), int(rng.integers(3, h // 6 + 4))),
                        float(rng.uniform(0, 180)), 0, 360, c, -1, cv2.LINE_AA)
        elif k < 0.55:
            x2, y2 = int(rng.integers(0, w)), int(rng.integers(0, h))
            cv2.line(img, (x, y), (x2, y2), c, int(rng.integers(1, 6)), cv2.LINE_AA)
        elif k < 0.7:  # fence / barcode: a row of bars of letter-like size
            bh, bw, gap = int(rng.integers(6, 40)), int(rng.integers(1, 6)), int(rng.integers(3, 12))
            for i in range(int(rng.integers(4, 14))):
                xi = x + i * (bw + gap)
                cv2.rectangle(img, (xi, y), (xi + bw, y + bh), c, -1)
        elif k < 0.8:  # dot grid / windows
            r, step = int(rng.integers(1, 6)), int(rng.integers(6, 20))
            for i in range(int(rng.integers(2, 8))):
                for j in range(int(rng.integers(2, 6))):
                    cv2.circle(img, (x + i * step, y + j * step), r, c, -1, cv2.LINE_AA)
        else:  # pseudo-glyphs: strokes in character cells along a baseline (MSER hard negatives)
            ch = int(rng.integers(8, 40))
            t = max(1, ch // int(rng.integers(5, 10)))
            for i in range(int(rng.integers(3, 9))):
                cx = x + i * int(ch * 0.8)
                pts = np.stack([cx + rng.integers(0, max(2, ch // 2), size=3),
                                y + rng.integers(0, ch, size=3)], axis=1).astype(np.int32)
                cv2.polylines(img, [pts], False, c, t, cv2.LINE_AA)


def _background(rng, h, w, backgrounds) -> np.ndarray:
    if backgrounds is not None and len(backgrounds) and rng.random() < 0.85:
        img = _load_background(backgrounds[int(rng.integers(len(backgrounds)))], rng, h, w)
        _clutter(rng, img, int(rng.integers(0, 4)))
        return img
    gens = (_gradient, _blotches, _stripes, _tiles, _texture, _texture)
    img = gens[int(rng.integers(len(gens)))](rng, h, w)
    if rng.random() < 0.5:  # blend a second texture for variety
        alpha = rng.uniform(0.2, 0.6)
        img = img * (1 - alpha) + gens[int(rng.integers(len(gens)))](rng, h, w) * alpha
    if rng.random() < 0.6:  # real scenes are rarely saturated everywhere
        luma = cv2.cvtColor(np.ascontiguousarray(img, dtype=np.float32), cv2.COLOR_RGB2GRAY)[..., None]
        img = luma + (img - luma) * np.float32(rng.uniform(0.15, 0.8))
    img = np.ascontiguousarray(img, dtype=np.float32)
    _clutter(rng, img, int(rng.integers(2, 16)))
    if rng.random() < 0.5:
        img += rng.standard_normal((h, w, 1), dtype=np.float32) * np.float32(rng.uniform(2, 10))
    return img


# ----------------------------------------------------------------------------------------------
# Colours
# ----------------------------------------------------------------------------------------------
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def _color_with_luma(rng, target: float) -> np.ndarray:
    """A random colour whose luma (Rec. 601) is ``target`` in [0, 255]."""
    c = _rand_color(rng) * rng.uniform(0.2, 1.0) + rng.uniform(0, 80)
    c = c.clip(0, 255)
    lum = float(c @ _LUMA)
    if target >= lum:
        a = (target - lum) / max(1e-3, 255.0 - lum)
        c = c + (255.0 - c) * a
    else:
        c = c * (target / max(1e-3, lum))
    return c.clip(0, 255).astype(np.float32)


def _contrasting(rng, bg_luma: float, contrast: float) -> np.ndarray:
    up, down = bg_luma + contrast, bg_luma - contrast
    options = [t for t in (up, down) if 0 <= t <= 255]
    if not options:
        options = [255.0 if bg_luma < 128 else 0.0]
    return _color_with_luma(rng, float(options[int(rng.integers(len(options)))]))


# ----------------------------------------------------------------------------------------------
# Scenes
# ----------------------------------------------------------------------------------------------
def _line_canvas(rng, words: List[str], face: _Face, height: float, weight: float, outline: int):
    """Render a line of words; returns (alpha [h, w], outline alpha or None, word boxes in canvas)."""
    pad = 2 + outline
    alphas = [_render_word(wd, face, height, weight, pad) for wd in words]
    hh = max(a.shape[0] for a in alphas)
    parts, parts_o, boxes, x = [], [], [], 0
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * outline + 1, 2 * outline + 1)) if outline else None
    gap = np.zeros((hh, max(2, int(round(height * 0.25)))), np.float32)
    for i, a in enumerate(alphas):
        if a.shape[0] < hh:
            a = np.pad(a, ((0, hh - a.shape[0]), (0, 0)))
        o = cv2.dilate(a, kernel) if outline else a
        ys, xs = np.nonzero(o)
        if len(xs) == 0:  # nothing visible (e.g. a space)
            boxes.append(None)
        else:
            boxes.append((x + xs.min(), ys.min(), x + xs.max(), ys.max()))
        parts.append(a)
        parts_o.append(o)
        x += a.shape[1]
        if i + 1 < len(alphas):
            parts.append(gap)
            parts_o.append(gap)
            x += gap.shape[1]
    return np.hstack(parts), (np.hstack(parts_o) if outline else None), boxes


def _block_canvas(rng, rows: List[List[str]], face: _Face, height: float, weight: float, outline: int):
    """Stack lines of words (a paragraph on a sign) into one canvas, aligned left, centre or right.

    Returns (alpha, outline alpha or None, word boxes) with the boxes in row-major word order.
    """
    lines = [_line_canvas(rng, words, face, height, weight, outline) for words in rows]
    if len(lines) == 1:
        return lines[0]
    width = max(a.shape[1] for a, _, _ in lines)
    align = int(rng.integers(3))  # 0 left, 1 centre, 2 right
    leading = max(2, int(round(height * rng.uniform(0.0, 0.4))))
    parts, parts_o, boxes, y = [], [], [], 0
    for k, (a, o, bx) in enumerate(lines):
        extra = width - a.shape[1]
        left = (0, extra // 2, extra)[align]
        pad = ((0, 0), (left, extra - left))
        parts.append(np.pad(a, pad))
        parts_o.append(np.pad(o, pad) if o is not None else None)
        boxes += [None if b is None else (b[0] + left, b[1] + y, b[2] + left, b[3] + y) for b in bx]
        y += a.shape[0]
        if k + 1 < len(lines):
            gap = np.zeros((leading, width), np.float32)
            parts.append(gap)
            parts_o.append(gap)
            y += leading
    alpha = np.vstack(parts)
    alpha_o = np.vstack(parts_o) if outline else None
    return alpha, alpha_o, boxes


def _occupied(occ: np.ndarray, poly: np.ndarray) -> bool:
    h, w = occ.shape
    pts = np.rint(poly).astype(np.int32)
    x0, y0 = np.clip(pts.min(0), 0, [w - 1, h - 1])
    x1, y1 = np.clip(pts.max(0), 0, [w - 1, h - 1])
    sub = occ[y0:y1 + 1, x0:x1 + 1]
    if not sub.any():
        return False
    probe = np.zeros_like(sub)
    cv2.fillConvexPoly(probe, pts - [x0, y0], 1)
    return bool((probe & sub).any())


def render_scene(seed: SeedLike, size: Tuple[int, int] = (512, 512), *,
                 faces: Optional[Sequence[str]] = None, fonts: Sequence[Union[str, Path]] = (),
                 backgrounds: Optional[Sequence] = None, words: Optional[Sequence[str]] = None,
                 max_lines: Optional[int] = None, text_free_prob: float = 0.08,
                 min_height: float = 8.0, max_height_frac: float = 1.0 / 3.0,
                 max_angle: float = 30.0, effects: bool = True, dont_care_low_contrast: bool = True) -> SynthScene:
    """Render one synthetic scene with exact word quads and a text-pixel mask.

    Args:
        seed: int or sequence of ints (e.g. ``(dataset_seed, index)``); the scene is a pure function of
            it and of the other arguments.
        size: ``(H, W)`` of the image.
        faces: names from :data:`FACES` to draw from (default: all thirteen built-in faces).
        fonts: extra TrueType/OpenType files to draw from as well (e.g. system fonts). Not used
            unless given, so that a seed renders the same everywhere.
        backgrounds: optional background images (uint8 HxWx3 RGB arrays or paths); random crops of
            them are used for most scenes, procedural textures for the rest.
        words: vocabulary (default: the built-in list, see :func:`load_words`), mixed with numbers,
            codes and random letter strings.
        max_lines: upper bound on text lines (default grows with image area, ~12 at 512x512).
        text_free_prob: probability of a scene without any text.
        min_height, max_height_frac: cap-height range in pixels, from ``min_height`` to
            ``max_height_frac * min(H, W)``, log-uniform (small text is common).
        max_angle: maximum rotation in degrees (a few lines go up to twice this).
        effects: outlines, shadows, sign panels, lighting, blur, noise and JPEG artefacts; False for
            clean renders.
        dont_care_low_contrast: mark the words of low-contrast lines (about 10% of lines, luma contrast
            25-50 of 255) as don't care (``ignore=True``), as ICDAR annotators do with barely legible
            words; they remain in ``mask``.

    Returns:
        :class:`SynthScene` ``(image uint8 [H, W, 3] RGB, instances, mask uint8 [H, W] {0, 1})``.
        Each instance's quad (float32 [4, 2], clockwise from the word's top-left) contains every
        mask pixel of that word and tightly bounds it.
    """
    h, w = int(size[0]), int(size[1])
    if h < 16 or w < 16:
        raise ValueError(f"size must be at least 16x16, got {size!r}")
    rng = np.random.default_rng(seed)
    names = list(FACES) if faces is None else list(faces)
    unknown = [n for n in names if n not in FACES]
    if unknown:
        raise ValueError(f"unknown face(s) {unknown}; available: {sorted(FACES)}")
    face_list = [FACES[n] for n in names] + [_Face(Path(p).stem, "pil", str(p), False) for p in fonts]
    if not face_list:
        raise ValueError("no typeface to draw from: give faces and/or fonts")
    vocab = tuple(words) if words is not None else load_words()
    if not vocab:
        raise ValueError("words must not be empty")

    img = _background(rng, h, w, backgrounds)
    mask = np.zeros((h, w), np.uint8)
    occ = np.zeros((h, w), np.uint8)
    instances: List[TextInstance] = []

    n_lines = 0
    if rng.random() >= text_free_prob:
        cap = max_lines if max_lines is not None else max(2, int(round(12 * h * w / 512 ** 2)))
        n_lines = int(rng.integers(1, cap + 1))
    max_h = max(min_height + 1, max_height_frac * min(h, w))
    for _ in range(n_lines):
        _place_line(rng, img, mask, occ, instances, face_list, vocab, min_height, max_h, max_angle, effects,
                    dont_care_low_contrast)

    if effects:
        _photometric(rng, img)
    image = np.clip(img + 0.5, 0, 255).astype(np.uint8)
    if effects and rng.random() < 0.2:
        image = _jpeg(rng, image)
    return SynthScene(image, instances, mask)


def _place_line(rng, img, mask, occ, instances, face_list, vocab, min_h, max_h, max_angle, effects,
                dont_care_low_contrast) -> None:
    h, w = mask.shape
    face = face_list[int(rng.integers(len(face_list)))]
    height = float(np.exp(rng.uniform(np.log(min_h), np.log(max_h))))
    n_rows = 1 if rng.random() < 0.85 else int(rng.integers(2, 4))
    rows = []
    for _ in range(n_rows):
        n_words = 1 if rng.random() < 0.6 else int(rng.integers(2, 4))
        rows.append([_random_word(rng, vocab) for _ in range(n_words)])
    words = [wd for row in rows for wd in row]
    weight = float(rng.random())
    outline = 0
    if effects and rng.random() < 0.2 and height >= 12:
        outline = max(1, int(round(height * rng.uniform(0.04, 0.1))))
    shadow = effects and rng.random() < 0.2 and height >= 10

    # Geometry first (cheap), so that a line too wide for the image is shrunk before rendering.
    aspect = float(np.exp(rng.normal(0, 0.12)))
    angle = rng.normal(0, max_angle / 2)
    angle = float(np.clip(angle, -2 * max_angle, 2 * max_angle))

    for _attempt in range(2):
        alpha, alpha_o, boxes = _block_canvas(rng, rows, face, height, weight, outline)
        ch, cw = alpha.shape
        diag_w = abs(cw * aspect * math.cos(math.radians(angle))) + abs(ch * math.sin(math.radians(angle)))
        diag_h = abs(cw * aspect * math.sin(math.radians(angle))) + abs(ch * math.cos(math.radians(angle)))
        fit = min((w - 4) / max(diag_w, 1), (h - 4) / max(diag_h, 1))
        if fit >= 1.0:
            break
        height *= fit * 0.95
        if height < min_h * 0.75:
            return
    else:
        return

    # Source corners of the canvas -> destination: centre, aspect, rotation, keystone jitter.
    src = np.array([[0, 0], [cw, 0], [cw, ch], [0, ch]], np.float32) - 0.5
    centred = (src - src.mean(0)) * np.array([aspect, 1.0], np.float32)
    t = math.radians(angle)
    rot = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]], np.float32)
    dst = centred @ rot.T
    if rng.random() < 0.5:
        jit = rng.uniform(0, 0.18) * min(ch, cw * aspect)
        dst = dst + rng.uniform(-jit, jit, size=(4, 2)).astype(np.float32)
    if signed_area(dst) <= 0:
        return
    lo, hi = dst.min(0), dst.max(0)
    span = hi - lo
    if span[0] > w - 3 or span[1] > h - 3:
        return
    # Signs: some lines sit on a panel (drawn with the same transform, margins in canvas space).
    panel = effects and rng.random() < 0.3
    m = height * rng.uniform(0.25, 0.6)
    psrc = np.array([[-m, -m], [cw + m, -m], [cw + m, ch + m], [-m, ch + m]], np.float32) - 0.5
    for _try in range(12):
        # max(): float32 rounding can put the upper bound a hair under the lower one when the line
        # just fits; numpy then raises instead of returning the (only) position.
        ox = rng.uniform(1 - lo[0], max(1 - lo[0], w - 2 - hi[0]))
        oy = rng.uniform(1 - lo[1], max(1 - lo[1], h - 2 - hi[1]))
        cand = dst + np.array([ox, oy], np.float32)
        M = cv2.getPerspectiveTransform(src.astype(np.float32), cand.astype(np.float32))
        footprint = cv2.perspectiveTransform(psrc[None].astype(np.float64), M)[0] if panel else cand
        if not _occupied(occ, footprint):
            break
    else:
        return
    dst = cand
    if panel:
        pc = tuple(float(v) for v in _rand_color(rng) * rng.uniform(0.3, 1.0))
        poly = np.rint(footprint * 16).astype(np.int32)
        cv2.fillConvexPoly(img, poly, pc, cv2.LINE_AA, shift=4)
        if rng.random() < 0.5:
            border = tuple(float(v) for v in _rand_color(rng))
            cv2.polylines(img, [poly], True, border, max(1, int(m / 4)), cv2.LINE_AA, shift=4)
        cv2.fillConvexPoly(occ, np.rint(footprint).astype(np.int32), 1)

    x0, y0 = np.floor(dst.min(0)).astype(int)
    x1, y1 = np.ceil(dst.max(0)).astype(int)
    x0, y0 = max(0, x0 - 2), max(0, y0 - 2)
    x1, y1 = min(w - 1, x1 + 2), min(h - 1, y1 + 2)
    rw, rh = x1 - x0 + 1, y1 - y0 + 1
    M_roi = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], np.float64) @ M

    layers = [alpha] + ([alpha_o] if alpha_o is not None else [])
    if shadow:
        d = max(1, int(round(height * rng.uniform(0.04, 0.1))))
        base = alpha_o if alpha_o is not None else alpha
        sh = np.zeros_like(base)
        sh[d:, d:] = base[:-d, :-d]
        layers.append(cv2.GaussianBlur(sh, (0, 0), max(0.5, d / 2)))
    stack = np.dstack(layers) if len(layers) > 1 else layers[0]
    warped = cv2.warpPerspective(stack, M_roi, (rw, rh), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    if warped.ndim == 2:
        warped = warped[..., None]
    a_fill = warped[..., 0]
    a_out = warped[..., 1] if alpha_o is not None else None
    a_shadow = warped[..., -1] if shadow else None

    roi = img[y0:y1 + 1, x0:x1 + 1]
    ink = a_out if a_out is not None else a_fill
    region = ink > 0.05
    bg_luma = float((roi[region] @ _LUMA).mean()) if region.any() else float((roi @ _LUMA).mean())
    low = rng.random() < 0.1
    contrast = rng.uniform(25, 50) if low else rng.uniform(60, 200)
    fill = _contrasting(rng, bg_luma, contrast)

    if a_shadow is not None:
        op = rng.uniform(0.4, 0.8)
        roi *= (1 - op * a_shadow)[..., None]
    if a_out is not None:
        fl = float(fill @ _LUMA)
        oc = _color_with_luma(rng, float(np.clip(255 - fl + rng.uniform(-30, 30), 0, 255)))
        roi += (oc[None, None] - roi) * a_out[..., None]
    if rng.random() < 0.3:  # gradient fill across the word
        fill2 = _contrasting(rng, bg_luma, contrast)
        tt = np.linspace(0, 1, rh, dtype=np.float32)[:, None, None]
        col = fill[None, None] * (1 - tt) + fill2[None, None] * tt
    else:
        col = fill[None, None]
    roi += (col - roi) * a_fill[..., None]

    ink_mask = (ink > 0.5).astype(np.uint8)
    mask[y0:y1 + 1, x0:x1 + 1] |= ink_mask
    cv2.fillConvexPoly(occ, np.rint(dst).astype(np.int32), 1)

    # Word quads: canvas boxes grown by 0.5 px (pixel extent) + 0.05 px (warp grid), then warped.
    e = 0.55
    for word, box in zip(words, boxes):
        if box is None:
            continue
        bx0, by0, bx1, by1 = box
        corners = np.array([[bx0 - e, by0 - e], [bx1 + e, by0 - e], [bx1 + e, by1 + e], [bx0 - e, by1 + e]],
                           np.float64)
        quad = cv2.perspectiveTransform(corners[None], M)[0].astype(np.float32)
        # Hair-line strokes of tiny words can stay below alpha 0.5 everywhere: such a word has no
        # text pixel and gets no box (its faint ink is left as clutter).
        probe = np.zeros_like(ink_mask)
        cv2.fillConvexPoly(probe, np.rint((quad - [x0, y0]) * 16).astype(np.int32), 1, cv2.LINE_8, 4)
        if not (probe & ink_mask).any():
            continue
        # Barely visible words are don't care, as ICDAR annotators mark them "###" (the writer
        # writes "###"; the transcription stays available here).
        instances.append(TextInstance(quad, word, bool(low and dont_care_low_contrast),
                                      {"face": face.name, "height": round(height, 2), "angle": round(angle, 2)}))


def _photometric(rng, img: np.ndarray) -> None:
    h, w = img.shape[:2]
    if rng.random() < 0.5:  # uneven lighting
        lo = 1 - 0.35 * rng.random()
        img *= (lo + np.float32(0.35 * rng.random()) * _ramp(rng, h, w))[..., None]
    k = rng.random()
    if k < 0.25:
        img[:] = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.0))
    elif k < 0.35:  # camera shake: a short line kernel (incidental text is often motion-blurred)
        n = int(rng.integers(3, 8))
        kern = np.zeros((n, n), np.float32)
        c = (n - 1) / 2
        t = rng.uniform(0, np.pi)
        cv2.line(kern, (int(round(c - c * math.cos(t))), int(round(c - c * math.sin(t)))),
                 (int(round(c + c * math.cos(t))), int(round(c + c * math.sin(t)))), 1.0, 1)
        img[:] = cv2.filter2D(img, -1, kern / kern.sum())
    if rng.random() < 0.5:
        img += rng.standard_normal(img.shape, dtype=np.float32) * np.float32(rng.uniform(1, 6))


def _jpeg(rng, image: np.ndarray) -> np.ndarray:
    """Re-encode at a low JPEG quality (block artefacts, chroma bleeding), as phone photos have."""
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(30, 80))])
    return cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB) if ok else image


class SynthDataset:
    """``n`` synthetic scenes as a map-style dataset; item ``i`` is ``render_scene((seed, i), size)``.

    Also importable as ``textvision.data.SynthDataset`` / ``textvision.data.datasets.SynthDataset``.
    It is a plain class (``__len__`` + ``__getitem__``, all a ``torch.utils.data.DataLoader`` needs)
    rather than a ``torch.utils.data.Dataset`` subclass, so that rendering (e.g. in ``textvision
    synth`` worker processes) never pays for importing torch; ``a + b`` concatenates like torch's.

    Args:
        n: number of scenes (>= 0).
        size: (H, W) of every scene.
        seed: base seed; scenes of different seeds are independent draws.
        transform: optional callable mapping an item dict to anything.
        render_kwargs: passed to :func:`render_scene`. Rendering happens on access, so DataLoader
            workers parallelise it.

    Items: ``{"image": uint8 [H, W, 3] RGB, "instances": list[TextInstance], "mask": uint8 [H, W] {0, 1},
    "index": i}``.
    """

    def __init__(self, n: int, size: Tuple[int, int] = (512, 512), seed: int = 0, transform=None, **render_kwargs):
        if int(n) < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        self.n, self.size, self.seed = int(n), (int(size[0]), int(size[1])), int(seed)
        self.transform, self.render_kwargs = transform, render_kwargs

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> Dict:
        if not -self.n <= i < self.n:
            raise IndexError(f"index {i} out of range for SynthDataset of length {self.n}")
        i = i % self.n
        scene = render_scene((self.seed, i), self.size, **self.render_kwargs)
        item = {"image": scene.image, "instances": scene.instances, "mask": scene.mask, "index": i}
        return self.transform(item) if self.transform is not None else item

    def __add__(self, other):
        from torch.utils.data import ConcatDataset

        return ConcatDataset([self, other])
