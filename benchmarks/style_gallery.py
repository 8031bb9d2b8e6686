"""A gallery of selective text style transfer on real photographs: photos x styles, two-stage beside distilled.

One row per photo (shown with its longer side at ``--side`` px): the input, then for every style of
``--styles`` its source thumbnail (``model.style_images``, with its name), the teacher's two-stage result
(StyleNet on the whole photo blended in by the shipped TextFCN map, thresholded like ``stylize``'s default,
``--threshold`` otherwise) and the distilled student's. The models run on the photo at ``--max-side`` (default:
native size, as ``benchmarks/eval_style.py --photos`` measures them); the results are shrunk for display.

    python benchmarks/style_gallery.py --teacher T.pt --distilled D.pt \
        --photos SAMPLES/scenetext01.jpg SAMPLES/scenetext02.jpg \
        --styles scenetext_word03,font_C059-BdIta --out docs/images/style_gallery.jpg

Writes a JPEG (quality ``--quality``, 85) through ``textvision.io.write_image`` and prints its size.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch
from eval_style import load_models, shrink  # benchmarks/ is sys.path[0] when run as a script

from textvision.io import list_images, read_rgb, write_image
from textvision.style import blend, stylize
from textvision.style.defaults import DEFAULT_BLEND_THRESHOLD
from textvision.style.sheet import contact_sheet
from textvision.text_fcn import segment

_WHITE = (255, 255, 255)
_HEADER = 44  # px of the column-label strip: style names, then the method of each column
_GAP = 4


def _text(img: np.ndarray, text: str, x: int, y: int, *, scale: float = 0.5, box: bool = False) -> None:
    """Draw ``text`` with its baseline at (x, y); ``box``: white on a dark box (readable over a photo)."""
    import cv2

    font, thick = cv2.FONT_HERSHEY_SIMPLEX, 1
    (tw, th), base = cv2.getTextSize(text, font, scale, thick)
    colour = (0, 0, 0)
    if box:
        cv2.rectangle(img, (x - 3, y - th - 4), (x + tw + 3, y + base + 2), (30, 30, 30), -1)
        colour = _WHITE
    cv2.putText(img, text, (x, y), font, scale, colour, thick, cv2.LINE_AA)


def _cell(img: np.ndarray, w: int, h: int) -> np.ndarray:
    """``img`` on a white w x h cell, top-left aligned (all results of a row share the photo's size)."""
    out = np.full((h, w, 3), _WHITE, np.uint8)
    out[:img.shape[0], :img.shape[1]] = img[:h, :w]
    return out


def gallery(rows, names, thumbs, *, side: int, thumb_w: int) -> np.ndarray:
    """Assemble the picture.

    Args:
        rows: ``[(label, input, [(two_stage, distilled) per style])]``, uint8 RGB images of one size per row
            (already shrunk to the display size).
        names, thumbs: the styles' names and uint8 RGB thumbnails.
        side: width of a photo column; thumb_w: width of a thumbnail column.

    Returns:
        uint8 (H, W, 3) RGB.
    """
    cols = [("input", side)]
    for _ in names:
        cols += [(None, thumb_w), ("two-stage", side), ("distilled", side)]
    width = sum(w for _, w in cols) + _GAP * (len(cols) + 1)
    parts = [np.full((_HEADER, width, 3), _WHITE, np.uint8)]
    x, styles = _GAP, iter(names)
    for label, w in cols:
        if label is None:  # a style's group starts with its thumbnail: name it over the whole group
            _text(parts[0], f"style: {next(styles)}", x + 4, 18)
        else:
            _text(parts[0], label, x + 4, _HEADER - 6)
        x += w + _GAP
    for label, inp, outs in rows:
        h = inp.shape[0]
        strip = np.full((h + _GAP, width, 3), _WHITE, np.uint8)
        cells = [_cell(inp, side, h)]
        for (two, dist), name, thumb in zip(outs, names, thumbs):
            tcell = contact_sheet([name], [thumb], columns=1, cell=thumb_w, label_height=0, gap=0)  # fitted, centred
            tcol = np.full((h, thumb_w, 3), _WHITE, np.uint8)
            th = min(h, tcell.shape[0])
            y0 = (h - th) // 2
            tcol[y0:y0 + th] = tcell[:th]
            cells += [tcol, _cell(two, side, h), _cell(dist, side, h)]
        x = _GAP
        for c in cells:
            strip[:h, x:x + c.shape[1]] = c
            x += c.shape[1] + _GAP
        _text(strip, label, _GAP + 6, 20, box=True)
        parts.append(strip)
    return np.concatenate(parts, axis=0)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--teacher", default="default", help="two-stage teacher (default: the shipped 'default')")
    ap.add_argument("--distilled", default="default-distilled",
                    help="distilled student (default: the shipped 'default-distilled')")
    ap.add_argument("--photos", nargs="+", required=True, help="photo files (or folders of them)")
    ap.add_argument("--styles", required=True, help="comma-separated style names")
    ap.add_argument("--out", default=os.path.join("docs", "images", "style_gallery.jpg"))
    ap.add_argument("--side", type=int, default=480, help="longer side of a photo in the picture")
    ap.add_argument("--thumb", type=int, default=120, help="width of the style thumbnail column")
    ap.add_argument("--max-side", type=int, default=None, help="run the models at this longer side (default: native)")
    ap.add_argument("--threshold", type=float, default=DEFAULT_BLEND_THRESHOLD,
                    help="two-stage map threshold (default: stylize's, DEFAULT_BLEND_THRESHOLD; 0 = soft blend)")
    ap.add_argument("--quality", type=int, default=85, help="JPEG quality")
    args = ap.parse_args(argv)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))

    teacher, students, names = load_models(args.teacher, [args.distilled], args.styles)
    (distilled,) = students.values()
    thumbs = [teacher.style_images[teacher.style_names.index(n)] for n in names]
    photos = list_images(args.photos)

    t0 = time.perf_counter()
    rows = []
    for path in photos:
        rgb = shrink(read_rgb(path), args.max_side)
        heat = segment(rgb)  # once per photo: every style's two-stage blends with the same map
        outs = []
        for name in names:
            two = blend(rgb, stylize(rgb, teacher, name, mode="distilled"), heat, args.threshold)
            outs.append((shrink(two, args.side), shrink(stylize(rgb, distilled, name), args.side)))
        rows.append((path.stem, shrink(rgb, args.side), outs))
        print(f"  {path.name}: {time.perf_counter() - t0:.0f} s", flush=True)
    pic = gallery(rows, names, thumbs, side=args.side, thumb_w=args.thumb)
    out = write_image(args.out, pic, jpeg_quality=args.quality)
    print(f"wrote {out}: {pic.shape[1]}x{pic.shape[0]}, {os.path.getsize(out) / 1024:.0f} KB "
          f"({len(photos)} photos x {len(names)} styles, {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
