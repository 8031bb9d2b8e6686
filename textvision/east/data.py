"""Training and validation data of ``textvision train-east`` from a ``--data`` / ``--val`` spec.

Every part yields ``{"image": uint8 [H, W, 3] RGB, "instances": list[TextInstance]}`` items, what
:class:`textvision.east.train.EASTTrainDataset` wraps. Parts (joined by ``+``, ``SPEC*K`` repeats one;
see :func:`textvision.data.spec.parse_data_spec`):

- ``DIR``: an ICDAR folder in any layout :class:`textvision.data.IcdarDataset` knows (``--train-split`` /
  ``--val-split``);
- ``synth:N[:SIZE]``: N generated scenes of SIZE x SIZE pixels (default 512); the validation draw uses
  another seed;
- ``photos:DIR[;DIR...]``: ``--synth-n`` generated scenes whose backgrounds are crops of the photographs
  under the folders (real clutter around synthetic words), words drawn in ``--fonts`` as well;
- ``teacher:LABEL_DIR``: photographs labelled by ``textvision teacher-label`` (CRAFT's word quads), split
  into training and validation photos by a hash of each label's name (:func:`teacher_split`);
- ``icdar2015:DIR``: an ICDAR 2015 folder split by image name: the training side is every image outside
  ``holdout`` (default :data:`textvision.data.datasets.ICDAR2015_HOLDOUT`, ``img_901``-``img_1000``), the
  validation side exactly those images, so ``--data icdar2015:DIR --val icdar2015:DIR`` never mixes them.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Dict, Optional, Sequence

if TYPE_CHECKING:  # torch loads when the data is built, not when the CLI imports this module
    from torch.utils.data import Dataset

__all__ = ["east_data", "KINDS"]

logger = logging.getLogger("textvision.east")

#: The ``--data`` kinds of ``train-east`` besides a dataset folder.
KINDS = ("synth", "photos", "teacher", "icdar2015")

# Validation scenes use seeds far from the training ones, so the two never share a scene.
_VAL_SEED = 1_000_003


class _Memo:
    """Keeps every item of a deterministic, generated dataset after its first use: a scene costs ~50 ms
    to render and is read once per epoch; the geometric augmentation still draws a new crop each time."""

    def __init__(self, base):
        self.base = base
        self.items: Dict[int, dict] = {}

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, i: int) -> dict:
        item = self.items.get(i)
        if item is None:
            item = self.items[i] = self.base[i]
        return item


def east_data(spec: str, *, train: bool = True, year: int = 2015, split: Optional[str] = None, synth_n: int = 2000,
              synth_size: int = 512, fonts: Sequence[str] = (), val_fraction: float = 0.1, seed: int = 0,
              progress: bool = False, holdout: Optional[str] = None) -> Dataset:
    """A dataset of ``{"image", "instances"}`` items from a ``--data`` spec (see the module docstring).

    Args:
        spec: the spec.
        train: the training side (True) or the validation side (different scenes, the teacher's
            validation photos) of generated and teacher parts.
        year, split: ICDAR format and split of folder parts (default split: ``"train"`` / ``"test"``).
        synth_n, synth_size: scenes and their side for ``photos:`` parts (validation: ``synth_n // 10``,
            at least 8).
        fonts: TrueType / OpenType files drawn from besides the built-in faces (``photos:`` parts).
        val_fraction: share of teacher photos held out for validation.
        seed: base seed of generated parts (each part of a mix adds its position).
        holdout: the images an ``icdar2015:`` part holds out (its validation side); default
            ``img_901-img_1000``.

    Returns:
        an indexable, sized dataset (``len(ds)``, ``ds[i]``) of ``{"image": uint8 [H, W, 3] RGB, "instances":
        list[TextInstance]}`` items: a ``torch.utils.data`` dataset, or a cache in front of one (generated parts).

    Raises:
        ValueError: a malformed spec. FileNotFoundError: a missing folder or label folder.
    """
    from torch.utils.data import ConcatDataset

    from textvision.data.spec import parse_data_spec

    parts = parse_data_spec(spec, KINDS, folders=True)
    sets = []
    for k, part in enumerate(parts):
        ds = _part(part, train=train, year=year, split=split or ("train" if train else "test"), synth_n=synth_n,
                   synth_size=synth_size, fonts=fonts, val_fraction=val_fraction, seed=seed + k, holdout=holdout)
        if train and part.repeat > 1:
            ds = ConcatDataset([ds] * part.repeat)
        logger.info("%s data %s: %d images", "training" if train else "validation", part.text, len(ds))
        sets.append(ds)
    return sets[0] if len(sets) == 1 else ConcatDataset(sets)


def _part(part, *, train: bool, year: int, split: str, synth_n: int, synth_size: int, fonts: Sequence[str],
          val_fraction: float, seed: int, holdout: Optional[str] = None):
    from textvision.data.synth import SynthDataset

    if part.kind == "folder":
        from textvision.data import IcdarDataset

        return IcdarDataset(part.arg, year=year, split=split)
    if part.kind == "synth":
        bits = part.arg.split(":") if part.arg else []
        try:
            n = int(bits[0]) if bits else synth_n
            size = int(bits[1]) if len(bits) > 1 else synth_size
            if len(bits) > 2 or n < 1 or size < 32:
                raise ValueError
        except ValueError:
            raise ValueError(f"bad synthetic data spec {part.text!r}; expected synth, synth:N or synth:N:SIZE "
                             f"(N >= 1, SIZE >= 32)") from None
        # Seeds 0 / 1 as before the mixed specs existed: a plain synth:N run trains on the same scenes.
        return _Memo(SynthDataset(n, size=(size, size), seed=0 if train else 1))
    if part.kind == "photos":
        from textvision.data.photos import PhotoBackgrounds

        dirs = [d for d in part.arg.split(";") if d]
        if not dirs:
            raise ValueError(f"--data {part.text}: expected photos:DIR[;DIR...]")
        kwargs = {"backgrounds": PhotoBackgrounds.from_dirs(dirs)}
        if fonts:
            kwargs["fonts"] = tuple(fonts)
        n = synth_n if train else max(8, synth_n // 10)
        return _Memo(SynthDataset(n, size=(synth_size, synth_size), seed=seed if train else seed + _VAL_SEED,
                                  **kwargs))
    if part.kind == "icdar2015":
        import os

        from textvision.data.datasets import ICDAR2015_HOLDOUT, IcdarDataset, holdout_split

        if not part.arg or not os.path.isdir(part.arg):
            raise FileNotFoundError(f"--data {part.text}: {part.arg!r} is not a directory")
        tr, va = holdout_split(IcdarDataset(part.arg, year=2015, split="train"), holdout or ICDAR2015_HOLDOUT)
        return tr if train else va
    if part.kind == "teacher":
        from textvision.data.teacher import TeacherWords

        if not part.arg:
            raise ValueError(f"--data {part.text}: expected teacher:LABEL_DIR")
        return TeacherWords(part.arg, "train" if train else "val", val_fraction)
    raise AssertionError(part.kind)  # parse_data_spec accepts no other kind
