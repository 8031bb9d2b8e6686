"""Style sources: folders of style images, word crops cut from real photographs, font-rendered words.

A style is one image of text whose look (colour, stroke, outline, texture, background) the StyleNet
learns; its name is the file stem. Three kinds of sources, as in the thesis (scene-text and
machine-printed models):

- :func:`read_style_images`: a folder (or list) of style images; non-images, unreadable files and
  tiny crops are skipped and counted (:class:`StyleSet`), never fatal one by one;
- :func:`style_crops`: word crops from real photographs, the words found by CRAFT
  (``textvision.models.craft``) or taken from CRAFT teacher labels (``textvision.data.teacher``);
- :func:`render_font_style` / :func:`font_styles`: a word rendered in a TrueType/OpenType face (from
  ``textvision.data.synth.find_fonts``) with a fill, an outline and a texture (machine-printed styles).

``textvision style-crops`` is the CLI over :func:`style_crops` and :func:`font_styles`.
All images are ``uint8`` (h, w, 3) RGB.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from textvision import _validate, io

__all__ = ["MIN_STYLE_SIDE", "THUMBNAIL_SIDE", "StyleSet", "read_style_images", "thumbnail", "crop_quad",
           "PhotoWordCrops", "word_crops", "CropStats", "style_crops", "render_font_style", "font_styles"]

logger = logging.getLogger("textvision.style")

PathLike = Union[str, "os.PathLike[str]"]

#: Style images (and word crops) whose shorter side is below this many pixels are skipped: at
#: relu4_3 (1/8 scale) they would leave one or two feature rows, too few for a Gram matrix.
MIN_STYLE_SIDE = 16
#: Longer side, in pixels, of the thumbnails a style model carries (``StyleNet.style_images``).
THUMBNAIL_SIDE = 96


@dataclass
class StyleSet:
    """Style images read from a folder or a list of files.

    Attributes:
        names: style names (file stems), in file-name order.
        images: ``uint8`` (h, w, 3) RGB images as read (not resized).
        paths: their files.
        skipped_non_image: files that are no image (suffix) or could not be decoded.
        skipped_tiny: images whose shorter side is below ``min_side``.
    """

    names: List[str]
    images: List[np.ndarray]
    paths: List[Path]
    skipped_non_image: int = 0
    skipped_tiny: int = 0


def _style_candidates(styles) -> List[Path]:
    items = [styles] if isinstance(styles, (str, os.PathLike)) else list(styles)
    if not items:
        raise ValueError("no style images given")
    out: List[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            out.extend(sorted(q for q in p.iterdir() if q.is_file()))
        elif p.is_file():
            out.append(p)
        else:
            raise FileNotFoundError(f"style image or folder not found: {p}")
    return out


def read_style_images(styles, *, min_side: int = MIN_STYLE_SIDE) -> StyleSet:
    """Read style images, skipping (and counting) non-images, unreadable files and tiny crops.

    Args:
        styles: a folder (its files, sorted by name), an image file, or a list of both.
        min_side: smallest accepted shorter side in pixels.

    Returns:
        :class:`StyleSet`; a warning is logged with the counts when anything was skipped.

    Raises:
        FileNotFoundError: a named file or folder does not exist. ValueError: no usable style image
            is left (the message gives the counts), or two styles share a file stem.
    """
    cands = _style_candidates(styles)
    res = StyleSet([], [], [])
    for p in cands:
        if p.suffix.lower() not in io.IMAGE_SUFFIXES:
            res.skipped_non_image += 1
            continue
        try:
            img = io.read_rgb(p)
        except ValueError as exc:
            logger.warning("style image skipped: %s", exc)
            res.skipped_non_image += 1
            continue
        if min(img.shape[:2]) < int(min_side):
            res.skipped_tiny += 1
            continue
        res.names.append(p.stem)
        res.images.append(img)
        res.paths.append(p)
    if res.skipped_non_image or res.skipped_tiny:
        logger.warning("styles: skipped %d non-image file(s) and %d tiny image(s) (shorter side < %d px); "
                       "%d style(s) kept", res.skipped_non_image, res.skipped_tiny, min_side, len(res.names))
    if not res.names:
        raise ValueError(f"no usable style image in {', '.join(map(str, cands[:3]))}"
                         f"{' ...' if len(cands) > 3 else ''}: {res.skipped_non_image} non-image file(s), "
                         f"{res.skipped_tiny} tiny image(s) (shorter side < {min_side} px)")
    dup = sorted({n for n in res.names if res.names.count(n) > 1})
    if dup:
        raise ValueError(f"style names (file stems) must be unique; repeated: {dup}")
    return res


def thumbnail(rgb, side: int = THUMBNAIL_SIDE) -> np.ndarray:
    """A copy of ``rgb`` (``uint8`` (h, w, 3)) scaled so its longer side is ``side`` pixels."""
    import cv2

    img = _validate.image_rgb(rgb, "rgb", "thumbnail")
    s = float(side) / max(img.shape[:2])
    size = (max(1, round(img.shape[1] * s)), max(1, round(img.shape[0] * s)))
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)


def crop_quad(rgb, quad, pad: float = 0.15) -> np.ndarray:
    """The word inside ``quad``, rectified to an upright rectangle.

    Args:
        rgb: ``uint8`` (H, W, 3) RGB.
        quad: float (4, 2) corners (x, y), clockwise from the top-left (``craft_word_boxes`` order).
        pad: margin added on every side, as a fraction of the word's height (a style includes a
            little of the background the word sits on).

    Returns:
        ``uint8`` (h, w, 3) with h, w the mean side lengths of the quad plus the margin.
    """
    import cv2

    img = _validate.image_rgb(rgb, "rgb", "crop_quad")
    q = np.asarray(quad, np.float64).reshape(4, 2)
    w, h = quad_size(q)
    m = pad * h
    out_w, out_h = max(1, int(round(w + 2 * m))), max(1, int(round(h + 2 * m)))
    dst = np.array([[m, m], [m + w, m], [m + w, m + h], [m, m + h]], np.float32)
    T = cv2.getPerspectiveTransform(q.astype(np.float32), dst)
    return cv2.warpPerspective(img, T, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def quad_size(quad) -> Tuple[float, float]:
    """``(width, height)`` of a word quad (4, 2), clockwise from the word's top-left: the means of its
    top/bottom and left/right side lengths."""
    q = np.asarray(quad, np.float64).reshape(4, 2)
    return (float(0.5 * (np.linalg.norm(q[1] - q[0]) + np.linalg.norm(q[2] - q[3]))),
            float(0.5 * (np.linalg.norm(q[3] - q[0]) + np.linalg.norm(q[2] - q[1]))))


class PhotoWordCrops(NamedTuple):
    """The word crops of one photo (:func:`word_crops`).

    Attributes:
        crops: ``uint8`` (h, w, 3) RGB crops of the kept words, tallest first.
        tiny: how many words were skipped as lower than ``min_height``, >= 0.
    """

    crops: List[np.ndarray]
    tiny: int


def word_crops(rgb, quads, *, min_height: int = MIN_STYLE_SIDE, max_words: Optional[int] = None,
               pad: float = 0.15) -> PhotoWordCrops:
    """Crops of the words of one photo, tallest first.

    Args:
        rgb: ``uint8`` (H, W, 3) RGB; quads: float (N, 4, 2) word quadrilaterals in its pixels.
        min_height: words lower than this (pixels, before the margin) are skipped as tiny.
        max_words: keep at most this many (the tallest); None keeps all.
        pad: see :func:`crop_quad`.

    Returns:
        :class:`PhotoWordCrops` ``(crops, tiny)``: the ``uint8`` crops and how many words were too small.
    """
    q = _validate.quads(quads, "quads", "word_crops")
    heights = [quad_size(x)[1] for x in q]
    keep = [i for i in np.argsort(heights, kind="stable")[::-1] if heights[i] >= min_height]
    tiny = len(q) - len(keep)
    if max_words is not None:
        keep = keep[:int(max_words)]
    return PhotoWordCrops([crop_quad(rgb, q[i], pad) for i in keep], tiny)


@dataclass
class CropStats:
    """What :func:`style_crops` / :func:`font_styles` did (counts, and the files written)."""

    photos: int = 0
    written: List[Path] = field(default_factory=list)
    kept_existing: int = 0
    skipped_non_image: int = 0
    skipped_tiny: int = 0
    photos_without_words: int = 0


def _inputs(paths) -> Tuple[List[Path], int]:
    """Files named by ``paths`` (folders expanded, sorted): images and ``.npz`` teacher labels, and
    how many other files were passed over."""
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    files: List[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            files.extend(sorted(q for q in p.iterdir() if q.is_file()))
        elif p.is_file():
            files.append(p)
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")
    ok = [f for f in files if f.suffix.lower() in io.IMAGE_SUFFIXES + (".npz",)]
    return ok, len(files) - len(ok)


def _unique_name(stem: str, used: set) -> str:
    name, k = stem, 2
    while name in used:
        name, k = f"{stem}-{k}", k + 1
    used.add(name)
    return name


def style_crops(photos, out_dir: PathLike, *, model=None, max_per_photo: int = 4,
                min_height: int = MIN_STYLE_SIDE, max_side: int = 1280, progress: bool = False) -> CropStats:
    """Cut word crops out of real photographs into a style folder.

    Each input is a photo (its words found by CRAFT: ``craft_maps`` + ``craft_word_boxes``) or a CRAFT
    teacher label ``.npz`` from ``textvision teacher-label`` (its cached word quads are used and its
    photo read from the label's ``source``). The ``max_per_photo`` tallest words of at least
    ``min_height`` pixels are written as ``OUT/<photo stem>_w<k>.png``; a file already there is kept,
    so a rerun adds only what is missing.

    Args:
        photos: image files, label files, or folders of them (other files are skipped and counted).
        out_dir: the style folder (created; checked writable before any work).
        model: a CRAFT network for photos (default: ``craft("default")``, loaded on first need).
        max_per_photo, min_height: see above; max_side: CRAFT's working size.
        progress: show a tqdm bar.

    Returns:
        :class:`CropStats`.
    """
    from textvision.data.teacher import load_labelled_photo, read_teacher_label
    from textvision.models.craft import craft, craft_maps, craft_word_boxes

    if int(max_per_photo) < 1 or int(min_height) < 1:
        raise ValueError(f"max_per_photo and min_height must be >= 1, got {max_per_photo}, {min_height}")
    out = Path(out_dir)
    io.check_output_dir(out)
    files, other = _inputs(photos)
    stats = CropStats(skipped_non_image=other)
    used: set = set()
    bar = files
    if progress:
        from tqdm import tqdm

        bar = tqdm(files, desc="style-crops", unit="photo", dynamic_ncols=True)
    for f in bar:
        try:
            if f.suffix.lower() == ".npz":
                label = read_teacher_label(f)
                rgb, quads, stem = load_labelled_photo(label), label.quads, label.source.stem
            else:
                rgb, stem = io.read_rgb(f), f.stem
                if model is None:
                    model = craft("default")
                maps = craft_maps(model, rgb, max_side=max_side)
                quads = craft_word_boxes(maps.region, maps.affinity)
        except (ValueError, FileNotFoundError) as exc:
            logger.warning("style-crops: skipped %s: %s", f, exc)
            stats.skipped_non_image += 1
            continue
        stats.photos += 1
        crops, tiny = word_crops(rgb, quads, min_height=min_height, max_words=max_per_photo)
        stats.skipped_tiny += tiny
        if not crops:
            stats.photos_without_words += 1
        for k, crop in enumerate(crops):
            dest = out / f"{_unique_name(f'{stem}_w{k}', used)}.png"
            if dest.exists():
                stats.kept_existing += 1
                continue
            io.write_image(dest, crop)
            stats.written.append(dest)
    logger.info("style-crops: %d photo(s), %d crop(s) written, %d kept, %d non-image/unreadable, %d tiny word(s)",
                stats.photos, len(stats.written), stats.kept_existing, stats.skipped_non_image, stats.skipped_tiny)
    return stats


# ---------------------------------------------------------------------------------------------- fonts
_TEXTURES = ("solid", "gradient", "noise", "stripes")


def _texture(kind: str, colors: Tuple[np.ndarray, np.ndarray], h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """float32 (h, w, 3) fill in 0-255: one colour, a vertical two-colour gradient, grain or stripes."""
    a, b = (np.asarray(c, np.float32) for c in colors)
    if kind == "solid":
        return np.broadcast_to(a, (h, w, 3)).astype(np.float32)
    if kind == "gradient":
        t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
        return np.broadcast_to((1 - t) * a + t * b, (h, w, 3)).astype(np.float32)
    if kind == "noise":
        import cv2

        n = cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0), 1.5)
        n = (n - n.min()) / max(1e-6, float(n.max() - n.min()))
        return (1 - n[..., None]) * a + n[..., None] * b
    if kind == "stripes":
        period = max(4, h // 4)
        t = ((np.arange(h) // (period // 2)) % 2).astype(np.float32)[:, None, None]
        return np.broadcast_to((1 - t) * a + t * b, (h, w, 3)).astype(np.float32)
    raise ValueError(f"unknown texture {kind!r}; choose one of {_TEXTURES}")


def render_font_style(font: PathLike, text: str = "Style", *, height: int = 64,
                      fill=(20, 20, 20), fill2=None, texture: str = "solid", outline=None, outline_px: int = 0,
                      background=(245, 245, 240), background2=None, background_texture: str = "solid",
                      seed: int = 0) -> np.ndarray:
    """A machine-printed style image: ``text`` in ``font`` with a fill, an outline and a background.

    Args:
        font: a ``.ttf`` / ``.otf`` file (see ``textvision.data.synth.find_fonts``).
        text: the word (ASCII letters render in every face ``find_fonts`` keeps).
        height: font size in pixels (the image is about 1.4x as high).
        fill, fill2: RGB 0-255 colours of the letters; ``fill2`` is the second colour of a texture.
        texture: the letters' fill, ``"solid"``, ``"gradient"``, ``"noise"`` or ``"stripes"``.
        outline, outline_px: RGB colour and width of a stroke around the letters (0: none).
        background, background2, background_texture: the same for the background.
        seed: for the ``"noise"`` textures.

    Returns:
        ``uint8`` (h, w, 3) RGB.

    Raises:
        FileNotFoundError: no such font file. ValueError: a font Pillow cannot read, a bad texture.
    """
    from PIL import Image, ImageDraw, ImageFont

    if not os.path.isfile(font):
        raise FileNotFoundError(f"font file not found: {font}")
    try:
        face = ImageFont.truetype(os.fspath(font), int(height))
    except OSError as exc:
        raise ValueError(f"{font}: not a font Pillow can read ({exc})") from None
    rng = np.random.default_rng(seed)
    stroke = int(outline_px) if outline is not None else 0
    left, top, right, bottom = face.getbbox(text, stroke_width=stroke)
    pad = max(4, int(0.2 * height))
    w, h = right - left + 2 * pad, bottom - top + 2 * pad
    origin = (pad - left, pad - top)

    def mask(stroke_width):
        m = Image.new("L", (w, h), 0)
        ImageDraw.Draw(m).text(origin, text, fill=255, font=face, stroke_width=stroke_width, stroke_fill=255)
        return np.asarray(m, np.float32)[..., None] / 255.0

    img = _texture(background_texture, (background, background2 or background), h, w, rng)
    if stroke:
        img = img * (1 - mask(stroke)) + mask(stroke) * np.asarray(outline, np.float32)
    letters = mask(0)
    img = img * (1 - letters) + letters * _texture(texture, (fill, fill2 or fill), h, w, rng)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def _random_colour(rng, lo: int, hi: int) -> Tuple[int, int, int]:
    return tuple(int(v) for v in rng.integers(lo, hi, 3))


def font_styles(fonts: Sequence[PathLike], out_dir: PathLike, count: int, *, seed: int = 0,
                text: str = "Style", height: int = 64) -> CropStats:
    """Write ``count`` machine-printed styles, ``OUT/font_<face stem>.png``, one face each.

    Faces are spread evenly over ``fonts`` (sorted); each gets a seeded random look: light-on-dark or
    dark-on-light, a texture for the letters and the background, an outline on half of them. A file
    already there is kept.

    Returns:
        :class:`CropStats` (``written``, ``kept_existing``).
    """
    fonts = sorted({os.fspath(f) for f in fonts})
    if int(count) < 1:
        raise ValueError(f"count must be >= 1, got {count}")
    if not fonts:
        raise ValueError("no fonts given (textvision.data.synth.find_fonts lists the usable ones)")
    out = Path(out_dir)
    io.check_output_dir(out)
    picks = [fonts[int(i)] for i in np.unique(np.linspace(0, len(fonts) - 1, min(int(count), len(fonts))).round())]
    stats = CropStats()
    used: set = set()
    for k, font in enumerate(picks):
        rng = np.random.default_rng([seed, k])
        dark_text = bool(rng.integers(2))
        fg, bg = ((0, 110), (150, 256)) if dark_text else ((150, 256), (0, 110))
        look = dict(fill=_random_colour(rng, *fg), fill2=_random_colour(rng, *fg),
                    texture=str(rng.choice(_TEXTURES)), background=_random_colour(rng, *bg),
                    background2=_random_colour(rng, *bg), background_texture=str(rng.choice(_TEXTURES)))
        if rng.integers(2):
            look.update(outline=_random_colour(rng, *bg if dark_text else fg), outline_px=max(1, height // 16))
        dest = out / f"{_unique_name('font_' + Path(font).stem, used)}.png"
        if dest.exists():
            stats.kept_existing += 1
            continue
        try:
            img = render_font_style(font, text, height=height, seed=seed + k, **look)
        except ValueError as exc:
            logger.warning("font style skipped: %s", exc)
            stats.skipped_non_image += 1
            continue
        io.write_image(dest, img)
        stats.written.append(dest)
    return stats
