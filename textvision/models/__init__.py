"""textvision.models"""

# --- style (StyleNet: conditional-instance-norm transformer)
from textvision.models.style import ConditionalInstanceNorm2d, StyleNet, style_net  # noqa: E402,F401
