"""Default distillation weights, kept torch-free so the CLI can show them without importing torch.

Chosen by experiment (README, section "style"; ``tools/distill_lambdas.py`` and
``benchmarks/eval_style.py``): the 300-step sweep shows that a larger text weight makes the student
leak into the background, and of the two 1000-step students evaluated, lambda_text = 2 (no gate term)
is the one that keeps the mean change outside the text under 2 grey levels (1.16; lambda_text = 3 with
lambda_gate = 1 restyles the text 4x more but changes the background by 4.2). lambda_text > lambda_background
as DESIGN.md asks; only the ratio matters with Adam.
"""
DEFAULT_LAMBDA_TEXT = 2.0
DEFAULT_LAMBDA_BACKGROUND = 1.0
DEFAULT_LAMBDA_GATE = 0.0

#: Two-stage blending: the TextFCN map is zeroed below this before ``P * styled + (1 - P) * input``, so the
#: background stays the input bit for bit wherever the map is low. Chosen with
#: ``tools/style_threshold.py`` on synthetic words over real photographs (never the evaluation photos):
#: the largest threshold of the sweep that keeps >= 98% of the soft blend's change inside the words (8 scenes,
#: 20 styles of the shipped model: text 106.3 -> 104.4 grey levels, background within 30 px of words 20.9 -> 15.1,
#: farther 0.58 -> 0.13). ``threshold=0`` gives the soft blend everywhere.
DEFAULT_BLEND_THRESHOLD = 0.6

#: Two-stage: the StyleNet restyles the image enlarged this many times, then its output is shrunk back
#: before blending (``stylize(upscale=)``), so that thin strokes survive (see docs/style.md, "Legibility").
DEFAULT_UPSCALE = 1.0
#: The enlarged image's longer side is kept at most this (memory: the network's first layers run at full size).
MAX_UPSCALED_SIDE = 2560
