"""Default distillation weights, kept torch-free so the CLI can show them without importing torch.

Chosen by ``benchmarks/distill_lambdas.py`` (README, section "style"): the smallest text weight whose
student keeps the background within 2/255 while still moving the text towards the teacher.
"""
DEFAULT_LAMBDA_TEXT = 10.0
DEFAULT_LAMBDA_BACKGROUND = 1.0
DEFAULT_LAMBDA_GATE = 0.0
