"""Generated test images: text drawn with cv2.putText on textured, noisy backgrounds."""
import cv2
import numpy as np

_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX)
_WORDS = ("EXIT", "Open 24h", "Caf\u00e9".encode("ascii", "replace").decode(), "SALE -50%", "Main St", "bus 42",
          "PARKING", "ticket", "No Entry", "www.shop.com")


def text_scene(seed: int, h: int = 120, w: int = 160) -> np.ndarray:
    """uint8 HxW grey scene: smooth texture + gradient + pixel noise, with a few words of text."""
    rng = np.random.default_rng(seed)
    coarse = rng.normal(128, 35, (max(h // 10, 2), max(w // 10, 2))).astype(np.float32)
    img = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img += 30 * np.sin(xx / rng.uniform(5, 20)) * np.cos(yy / rng.uniform(5, 20))  # fabric-like texture
    img += rng.uniform(-40, 40) * (xx / w - 0.5)
    for _ in range(int(rng.integers(3, 7))):
        word = _WORDS[int(rng.integers(len(_WORDS)))]
        colour = int(rng.choice([rng.integers(0, 60), rng.integers(190, 256)]))
        org = (int(rng.integers(0, max(w - 40, 1))), int(rng.integers(12, h)))
        cv2.putText(img, word, org, _FONTS[int(rng.integers(len(_FONTS)))], float(rng.uniform(0.3, 1.0)),
                    colour, int(rng.integers(1, 3)), cv2.LINE_AA)
    img += rng.normal(0, 6, (h, w))
    return np.clip(img, 0, 255).astype(np.uint8)


def prob_map(img: np.ndarray, seed: int = 0) -> np.ndarray:
    """float32 HxW map in [0, 1], correlated with the image (as a text heatmap would be)."""
    rng = np.random.default_rng(seed)
    p = cv2.GaussianBlur(255 - img, (0, 0), 2).astype(np.float32) / 255
    p = 0.7 * p + 0.3 * rng.random(img.shape, dtype=np.float32)
    return np.clip(p, 0, 1).astype(np.float32)
