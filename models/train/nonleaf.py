"""Pictures that are not tobacco leaves, for the out-of-scope check. Nothing is written to
disk: scikit-image's bundled photos (only those that load offline) and seeded renders."""
import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SKIMAGE = ["astronaut", "coffee", "chelsea", "rocket", "camera", "brick", "gravel", "grass",
           "hubble_deep_field", "immunohistochemistry", "moon", "page", "text", "retina"]

H, W = 480, 640


def _noise(rng, scale, h=H, w=W):
    """Smooth value noise in [0,1]: a small random grid upsampled bicubically."""
    small = rng.random((max(2, h // scale), max(2, w // scale))).astype(np.float32)
    im = Image.fromarray((small * 255).astype(np.uint8)).resize((w, h), Image.BICUBIC)
    return np.asarray(im, np.float32) / 255.0


def _fractal(rng, scales=(64, 16, 4)):
    n = sum(_noise(rng, s) / (i + 1) for i, s in enumerate(scales))
    return (n - n.min()) / (np.ptp(n) + 1e-9)


def _u8(a):
    return np.clip(a, 0, 255).astype(np.uint8)


def sky(rng):
    t = np.linspace(0, 1, H)[:, None, None]
    top, bottom = np.array([60, 110, 200]), np.array([180, 210, 240])
    img = top * (1 - t) + bottom * t + np.zeros((H, W, 3))
    cloud = np.clip(_fractal(rng, (128, 32, 8)) * 1.6 - 0.8, 0, 1)[..., None]
    img = img * (1 - cloud) + 245 * cloud
    return _u8(img + rng.normal(0, 3, img.shape))


def brick_wall(rng):
    img = np.zeros((H, W, 3)) + np.array([200, 195, 185])  # mortar
    bh, bw = 40, 96
    for r in range(H // bh + 1):
        off = (bw // 2) * (r % 2)
        for c in range(-1, W // bw + 2):
            col = np.array([150, 70, 50]) * rng.uniform(0.8, 1.15) + rng.normal(0, 5, 3)
            y0, x0 = r * bh + 3, c * bw - off + 3
            img[max(0, y0):max(0, y0 + bh - 6), max(0, x0):max(0, x0 + bw - 6)] = col
    img *= (0.85 + 0.3 * _fractal(rng))[..., None]
    return _u8(img + rng.normal(0, 6, img.shape))


def plaster_wall(rng):
    n = _fractal(rng, (96, 24, 6, 2))
    img = np.array([225, 215, 195]) * (0.8 + 0.25 * n)[..., None]
    return _u8(img + rng.normal(0, 4, img.shape))


def soil(rng):
    n = _fractal(rng, (48, 12, 3, 1))
    img = np.array([110, 80, 55]) * (0.55 + 0.7 * n)[..., None]
    im = Image.fromarray(_u8(img))
    d = ImageDraw.Draw(im)
    for _ in range(60):  # pebbles
        x, y, r = rng.integers(0, W), rng.integers(0, H), rng.integers(2, 9)
        g = int(rng.integers(120, 190))
        d.ellipse([x - r, y - r, x + r, y + r], fill=(g, g - 10, g - 25))
    return np.asarray(im)


def hand(rng):
    bg = np.array([90, 100, 120]) * (0.8 + 0.3 * _fractal(rng))[..., None]
    im = Image.fromarray(_u8(bg))
    d = ImageDraw.Draw(im)
    skin = tuple(int(v) for v in np.array([224, 172, 140]) + rng.normal(0, 8, 3))
    cx, cy = W // 2 + int(rng.integers(-40, 40)), H // 2 + 60
    d.ellipse([cx - 110, cy - 120, cx + 110, cy + 130], fill=skin)  # palm
    for i, ang in enumerate((-40, -15, 5, 25)):  # fingers
        x = cx - 90 + 60 * i
        d.rounded_rectangle([x, cy - 300 + abs(ang), x + 45, cy - 60], radius=22, fill=skin)
    d.rounded_rectangle([cx + 100, cy - 110, cx + 230, cy - 60], radius=24, fill=skin)  # thumb
    im = im.filter(ImageFilter.GaussianBlur(2))
    a = np.asarray(im, np.float32)
    return _u8(a + rng.normal(0, 4, a.shape))


def concrete(rng):
    n = _fractal(rng, (80, 20, 5, 1))
    img = np.array([150, 150, 148]) * (0.75 + 0.4 * n)[..., None]
    speck = rng.random((H, W)) < 0.01
    img[speck] *= 0.5
    return _u8(img + rng.normal(0, 5, img.shape))


def blank_paper(rng):
    t = np.linspace(0, 1, W)[None, :, None]
    img = np.array([245, 243, 236]) - 25 * t + np.zeros((H, W, 3))
    return _u8(img + rng.normal(0, 2, img.shape))


def night(rng):
    img = np.zeros((H, W, 3)) + np.array([8, 9, 14]) + 10 * _fractal(rng)[..., None]
    im = Image.fromarray(_u8(img + rng.normal(0, 3, img.shape)))
    d = ImageDraw.Draw(im)
    for _ in range(6):  # street lights
        x, y, r = rng.integers(0, W), rng.integers(0, H // 2), rng.integers(3, 10)
        d.ellipse([x - r, y - r, x + r, y + r], fill=(255, 210, 140))
    return np.asarray(im.filter(ImageFilter.GaussianBlur(1.5)))


RENDERS = [sky, brick_wall, plaster_wall, soil, hand, concrete, blank_paper, night]


def images(seed, variants=2):
    """[(name, source, uint8 HxWx3 array)]"""
    out = []
    try:
        import skimage.data as skd
    except ImportError:
        skd = None
    if skd is not None:
        for name in SKIMAGE:
            try:
                a = getattr(skd, name)()
            except Exception:  # needs a download (pooch) or missing in this version: skip
                continue
            out.append((f"skimage:{name}", "scikit-image", a))
    for i, fn in enumerate(RENDERS):
        for v in range(variants):
            rng = np.random.default_rng([seed, i, v])
            out.append((f"render:{fn.__name__}#{v + 1}", "rendered", fn(rng)))
    return out


# --- Extra pictures for the full-pipeline check only (nonleaf_pipeline.py) ------------------
# Not used by training or by metrics.json's non_leaf section, so adding them changes no model
# number. They add what the list above lacks: a hand filling the frame in farmers' skin tones,
# a hand over soil, and green or yellow surfaces that the core's leaf-colour rule (ExG / yellow
# hue) counts as "leaf", so that they reach the model instead of stopping at the coverage gate.

SKIMAGE_EXTRA = ["coins", "clock", "cell", "stereo_motorcycle"]


def _capsule(d, p0, p1, width, fill):
    """A finger: a thick segment with round ends."""
    d.line([p0, p1], fill=fill, width=width)
    r = width // 2
    for x, y in (p0, p1):
        d.ellipse([x - r, y - r, x + r, y + r], fill=fill)


def _skin(rng):
    """A farmer's skin tone: tanned to dark, reddish-brown (hue ~15–30°, below the leaf rule's yellow)."""
    base = np.array([200, 140, 105]) * rng.uniform(0.7, 1.05)
    return tuple(int(v) for v in np.clip(base + rng.normal(0, 6, 3), 0, 255))


def _draw_hand(im, rng, cx, cy, scale, skin):
    d = ImageDraw.Draw(im)
    s = scale
    d.ellipse([cx - 120 * s, cy - 110 * s, cx + 120 * s, cy + 150 * s], fill=skin)  # palm
    for i, (ang, length) in enumerate(((-22, 210), (-7, 250), (7, 240), (22, 190))):  # fingers
        a = np.deg2rad(ang + rng.normal(0, 3))
        x0, y0 = cx + (-84 + 56 * i) * s, cy - 70 * s
        x1, y1 = x0 + np.sin(a) * length * s, y0 - np.cos(a) * length * s
        _capsule(d, (x0, y0), (x1, y1), int(48 * s), skin)
    _capsule(d, (cx + 95 * s, cy + 40 * s), (cx + 210 * s, cy - 60 * s), int(56 * s), skin)  # thumb
    dark = tuple(int(v * 0.78) for v in skin)
    for k in range(3):  # palm creases
        y = cy + (-20 + 45 * k) * s
        d.arc([cx - 100 * s, y - 40 * s, cx + 90 * s, y + 40 * s], 200, 340, fill=dark, width=max(2, int(4 * s)))


def hand_closeup(rng):
    """An open hand held close to the lens: skin fills most of the frame."""
    bg = np.array([70, 65, 60]) * (0.7 + 0.5 * _fractal(rng))[..., None]
    im = Image.fromarray(_u8(bg))
    skin = _skin(rng)
    _draw_hand(im, rng, W // 2 + int(rng.integers(-30, 30)), H // 2 + 150, 1.5, skin)
    im = im.filter(ImageFilter.GaussianBlur(1.5))
    a = np.asarray(im, np.float32) * (0.85 + 0.3 * _fractal(rng, (48, 12, 3)))[..., None]
    return _u8(a + rng.normal(0, 4, a.shape))


def hand_on_soil(rng):
    """A hand held over bare field soil."""
    im = Image.fromarray(soil(rng))
    _draw_hand(im, rng, W // 2 + int(rng.integers(-60, 60)), H // 2 + 90, 0.95, _skin(rng))
    im = im.filter(ImageFilter.GaussianBlur(1.2))
    a = np.asarray(im, np.float32)
    return _u8(a + rng.normal(0, 4, a.shape))


def green_wall(rng):
    """A wall painted green, stained: ExG well above the leaf rule's 0.08."""
    col = np.array([85, 140, 80]) * rng.uniform(0.85, 1.1)
    n = _fractal(rng, (96, 24, 6, 2))
    img = col * (0.75 + 0.35 * n)[..., None]
    return _u8(img + rng.normal(0, 4, img.shape))


def yellow_wall(rng):
    """An ochre/yellow painted wall: hue ~45–50°, saturated, inside the leaf rule's yellow band."""
    col = np.array([222, 188, 80]) * rng.uniform(0.85, 1.05)
    n = _fractal(rng, (96, 24, 6, 2))
    img = col * (0.8 + 0.3 * n)[..., None]
    return _u8(img + rng.normal(0, 4, img.shape))


def green_tarp(rng):
    """Woven green plastic sheeting (a cart cover), folds as slow shading."""
    y, x = np.mgrid[0:H, 0:W]
    weave = 0.9 + 0.1 * np.sign(np.sin(x * 0.9) * np.sin(y * 0.9))
    fold = 0.7 + 0.45 * _fractal(rng, (160, 64))
    img = np.array([40, 115, 70]) * (weave * fold)[..., None]
    return _u8(img + rng.normal(0, 5, img.shape))


EXTRA_RENDERS = [hand_closeup, hand_on_soil, green_wall, yellow_wall, green_tarp]


def extra_images(seed, variants=2):
    """More non-leaf pictures for the full-pipeline check only: [(name, source, uint8 array)].
    Seeds are (seed, 100 + i, variant), apart from images()'s."""
    out = []
    try:
        import skimage.data as skd
    except ImportError:
        skd = None
    if skd is not None:
        for name in SKIMAGE_EXTRA:
            try:
                a = getattr(skd, name)()
            except Exception:  # needs a download or missing in this version: skip
                continue
            if isinstance(a, tuple):  # stereo_motorcycle: (left, right, disparity)
                a = a[0]
            out.append((f"skimage:{name}", "scikit-image", a))
    for i, fn in enumerate(EXTRA_RENDERS):
        for v in range(variants):
            rng = np.random.default_rng([seed, 100 + i, v])
            out.append((f"render:{fn.__name__}#{v + 1}", "rendered (pipeline only)", fn(rng)))
    return out
