"""Photo -> model input, matching the Rust core: upright (EXIF), RGB, centred square of side
min(w, h), Hamming downsize to 256 then to the model's side (224 by default), /255, ImageNet
mean/std."""
import numpy as np
from PIL import Image, ImageOps

from backbone import IMAGENET_MEAN, IMAGENET_STD, SIDE

MID = 256


class BadImage(Exception):
    pass


def open_rgb(path):
    """Decode fully (so truncated files fail here, not later), apply EXIF orientation, RGB."""
    try:
        with Image.open(path) as im:
            im.load()
            im = ImageOps.exif_transpose(im)
            if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                # Transparent areas become black, as in the data set's cut-out leaves.
                im = im.convert("RGBA")
                bg = Image.new("RGBA", im.size, (0, 0, 0, 255))
                im = Image.alpha_composite(bg, im)
            return im.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError) as e:
        raise BadImage(f"{path}: cannot be read as an image ({e})") from e


def centre_square(im):
    w, h = im.size
    s = min(w, h)
    left, top = (w - s) // 2, (h - s) // 2
    return im.crop((left, top, left + s, top + s))


def to_input(square, side=SIDE):
    """Square RGB image (any side) -> float32 [1,3,side,side], normalised."""
    im = square
    if im.size != (MID, MID):
        im = im.resize((MID, MID), Image.HAMMING)
    im = im.resize((side, side), Image.HAMMING)
    a = np.asarray(im, dtype=np.float32) / 255.0
    a = (a - np.array(IMAGENET_MEAN, np.float32)) / np.array(IMAGENET_STD, np.float32)
    return np.ascontiguousarray(a.transpose(2, 0, 1)[None], dtype=np.float32)


def from_array(a):
    """uint8 HxW or HxWx3/4 array (e.g. skimage.data) -> PIL RGB."""
    a = np.asarray(a)
    if a.dtype == bool:
        a = a.astype(np.uint8) * 255
    if a.dtype != np.uint8:
        a = np.clip(a * (255.0 if a.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    if a.ndim == 2:
        a = np.stack([a] * 3, -1)
    if a.shape[2] == 4:
        a = a[:, :, :3]
    return Image.fromarray(a, "RGB")


def model_rgb(square):
    """The 224x224 uint8 RGB picture for the colour baseline: fixed at 224, so the baseline does
    not move with the model's input side."""
    im = square
    if im.size != (MID, MID):
        im = im.resize((MID, MID), Image.HAMMING)
    return np.asarray(im.resize((SIDE, SIDE), Image.HAMMING), dtype=np.uint8)
