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
