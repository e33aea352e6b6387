"""synth-svhn: a synthetic stand-in for SVHN's cropped digits, with the factors behind every image.

Each 32x32 RGB image shows one house-number digit, centred and filling most of the height, with up to two
neighbouring digits of the same number cut off at the left and right edges, as in SVHN's "format 2" crops. The
digits are drawn from TrueType fonts that ship with matplotlib, so the data set needs no download.

The factors fall into two groups, which is the point of the data set. *Global* factors decide the shape of the
image: the digit and its neighbours, the font and stroke, and the geometry. *Local* factors decide its colour
statistics: foreground and background colour, polarity, background texture, lighting, blur, noise and JPEG
compression. Like SVHN, the local factors dominate the raw pixels, so clustering pixels groups images by colour
rather than by digit, while a small CNN still reads the digit.

``generate(n, seed)`` is deterministic: images are made in fixed-size chunks whose random generators derive
from ``(seed, chunk index)``, so the result does not depend on the number of worker processes, and the first
``m`` images of ``generate(n, seed)`` are ``generate(m, seed)``.
"""

from __future__ import annotations

import io
import multiprocessing
import os
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

IMAGE_SIZE = 32

#: Font faces, index = font id. Files in matplotlib's ``fonts/ttf``; faces whose digits are not plain lining
#: figures (cmmi10's old-style figures, cmex10 and cmsy10 symbols) are left out.
_FONT_FILES: dict[str, str] = {
    "DejaVu Sans": "DejaVuSans.ttf",
    "DejaVu Sans Bold": "DejaVuSans-Bold.ttf",
    "DejaVu Sans Oblique": "DejaVuSans-Oblique.ttf",
    "DejaVu Sans Bold Oblique": "DejaVuSans-BoldOblique.ttf",
    "DejaVu Sans Mono": "DejaVuSansMono.ttf",
    "DejaVu Sans Mono Bold": "DejaVuSansMono-Bold.ttf",
    "DejaVu Sans Mono Oblique": "DejaVuSansMono-Oblique.ttf",
    "DejaVu Sans Mono Bold Oblique": "DejaVuSansMono-BoldOblique.ttf",
    "DejaVu Serif": "DejaVuSerif.ttf",
    "DejaVu Serif Bold": "DejaVuSerif-Bold.ttf",
    "DejaVu Serif Italic": "DejaVuSerif-Italic.ttf",
    "DejaVu Serif Bold Italic": "DejaVuSerif-BoldItalic.ttf",
    "STIX General": "STIXGeneral.ttf",
    "STIX General Bold": "STIXGeneralBol.ttf",
    "STIX General Italic": "STIXGeneralItalic.ttf",
    "STIX General Bold Italic": "STIXGeneralBolIta.ttf",
    "Computer Modern Roman": "cmr10.ttf",
    "Computer Modern Bold": "cmb10.ttf",
    "Computer Modern Italic": "cmti10.ttf",
    "Computer Modern Sans": "cmss10.ttf",
    "Computer Modern Typewriter": "cmtt10.ttf",
}
FONTS: tuple[str, ...] = tuple(_FONT_FILES)

#: Background textures, index = texture id.
TEXTURES: tuple[str, ...] = ("flat", "gradient", "clouds", "stripes", "bricks", "speckle", "edge")

#: Stroke width changes in pixels of the glyph master (GLYPH_HEIGHT tall), on each side of the stroke.
STROKES: tuple[float, ...] = (-0.5, 0.0, 1.0, 2.0)

GLOBAL_FACTORS: tuple[str, ...] = ("label", "n_digits", "left_digit", "right_digit", "font", "stroke", "scale",
                                   "aspect", "rotation", "shear", "shift_x", "shift_y", "spacing")
LOCAL_FACTORS: tuple[str, ...] = ("polarity", "fg_color", "bg_color", "contrast", "texture", "texture_strength",
                                  "lighting", "blur", "noise", "jpeg_quality")
#: Each factor's kind, "global" (shape, identity, geometry) or "local" (colour, texture, photometry).
FACTOR_KINDS: dict[str, str] = {**{f: "global" for f in GLOBAL_FACTORS}, **{f: "local" for f in LOCAL_FACTORS}}
#: The factors in four groups, two of each kind, for placement scores that a mean over every factor would hide.
FACTOR_GROUPS: dict[str, tuple[str, ...]] = {
    "identity": ("label", "n_digits", "left_digit", "right_digit"),
    "position and form": ("font", "stroke", "scale", "aspect", "rotation", "shear", "shift_x", "shift_y", "spacing"),
    "colour": ("polarity", "fg_color", "bg_color", "contrast"),
    "texture and noise": ("texture", "texture_strength", "lighting", "blur", "noise", "jpeg_quality"),
}
#: Local factors that say which of the image's colours draws the digit (with the chroma of the digit's colour): a
#: patch shuffle keeps both colours of an image but not where they are, so it cannot tell digit from ground.
LAYOUT_COLOUR_FACTORS: tuple[str, ...] = ("polarity", "fg_color", "contrast", "fg_color red-green",
                                          "fg_color yellow-blue")

SPLIT_SIZES: dict[str, int] = {"train": 73257, "test": 26032, "extra": 531131}
SPLIT_SEEDS: dict[str, int] = {"train": 20_190_001, "test": 20_190_002, "extra": 20_190_003}

#: Smallest luma difference between the foreground and background colours (Rec. 601 luma of the sRGB values,
#: in [0, 1]).
MIN_CONTRAST = 0.15
#: Largest background texture swing, as a fraction of the contrast: the ground never reaches the digit's luma.
TEXTURE_MAX = 0.7

GLYPH_HEIGHT = 48  # master glyph height in pixels; high enough that a 1-pixel stroke change is a fine step
_SUPERSAMPLE = 2  # digits are drawn at twice the output size and box-filtered down, for anti-aliasing
_MAX_HALF_EXTENT = 14.5  # output pixels from the image centre that the centre digit's ink box may reach
_CHUNK = 256  # images per random stream; fixed, so results do not depend on how chunks are spread over workers
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def _font_path(name: str) -> str:
    import matplotlib  # only for its font folder; importing it costs more than the rest of this module

    return os.path.join(matplotlib.get_data_path(), "fonts", "ttf", _FONT_FILES[name])


def _render_digit(font: ImageFont.FreeTypeFont, digit: int, stroke: float) -> np.ndarray:
    """Ink mask (uint8) of one digit, cropped to its ink."""
    size = int(font.size * 2)
    image = Image.new("L", (size, size))
    ImageDraw.Draw(image).text((size // 4, size // 4), str(digit), font=font, fill=255,
                               stroke_width=int(max(stroke, 0)), stroke_fill=255)
    if stroke < 0:
        # A whole-pixel erosion wipes out the hairlines of thin faces (cmti10 keeps a fifth of its ink), so
        # thinning averages the glyph with its eroded self: about half a pixel off each side.
        eroded = np.asarray(image.filter(ImageFilter.MinFilter(3)), dtype=np.uint16)
        image = Image.fromarray(((np.asarray(image, dtype=np.uint16) + eroded) // 2).astype(np.uint8))
    box = image.getbbox()
    if box is None or box[0] == 0 or box[1] == 0 or box[2] == size or box[3] == size:
        raise RuntimeError(f"font {font.path!r} renders digit {digit} blank or clipped")
    return np.asarray(image.crop(box))


@cache
def _glyphs() -> tuple[tuple[tuple[np.ndarray, ...], ...], ...]:
    """Master masks indexed [font][stroke index][digit], rendered once per process.

    Each font is sized so that its median digit is GLYPH_HEIGHT tall; fonts differ a lot in how big their
    figures are at a given point size, and the scale factor should mean the same for all of them.
    """
    masters = []
    for name in FONTS:
        probe = ImageFont.truetype(_font_path(name), 100)
        heights = [_render_digit(probe, d, 0).shape[0] for d in range(10)]
        font = ImageFont.truetype(_font_path(name), round(100 * GLYPH_HEIGHT / float(np.median(heights))))
        masters.append(tuple(tuple(_render_digit(font, d, s) for d in range(10)) for s in STROKES))
    return tuple(masters)


@cache
def _glyph_sizes() -> np.ndarray:
    """(height, width) of every master, shape (fonts, strokes, 10, 2)."""
    return np.array([[[m.shape for m in by_stroke] for by_stroke in by_font] for by_font in _glyphs()])


def _sample_factors(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Draw the factors of n images."""
    label = rng.integers(0, 10, n)
    # 1, 2 or 3 visible digits; with 2 the neighbour is on either side.
    n_digits = rng.choice([1, 2, 3], n, p=[0.25, 0.4, 0.35])
    side = rng.integers(0, 2, n)
    has_left = (n_digits == 3) | ((n_digits == 2) & (side == 0))
    has_right = (n_digits == 3) | ((n_digits == 2) & (side == 1))
    left = np.where(has_left, rng.integers(0, 10, n), -1)
    right = np.where(has_right, rng.integers(0, 10, n), -1)
    font = rng.integers(0, len(FONTS), n)
    stroke = rng.choice(len(STROKES), n, p=[0.2, 0.35, 0.25, 0.2])

    scale = rng.uniform(0.5, 0.9, n)  # nominal digit height / image height
    aspect = rng.uniform(0.75, 1.3, n)  # horizontal stretch
    rotation = rng.uniform(-12, 12, n)  # degrees, counter-clockwise
    shear = rng.uniform(-0.3, 0.3, n)
    # The centre digit must stay whole: bound its warped ink box, shrink digits that would not fit, and let
    # the shift use only the room that is left.
    height, width = _glyph_sizes()[font, stroke, label].T
    a = _forward(scale * IMAGE_SIZE / GLYPH_HEIGHT, aspect, rotation, shear)
    half_x = (np.abs(a[:, 0, 0]) * width + np.abs(a[:, 0, 1]) * height) / 2
    half_y = (np.abs(a[:, 1, 0]) * width + np.abs(a[:, 1, 1]) * height) / 2
    shrink = np.minimum(1, _MAX_HALF_EXTENT / np.maximum(half_x, half_y))
    scale, half_x, half_y = scale * shrink, half_x * shrink, half_y * shrink
    shift_x = rng.uniform(-1, 1, n) * np.minimum(3.5, _MAX_HALF_EXTENT - half_x)
    shift_y = rng.uniform(-1, 1, n) * np.minimum(2.0, _MAX_HALF_EXTENT - half_y)

    polarity = rng.integers(0, 2, n)  # 0: dark digit on light ground, 1: light digit on dark ground
    # Low contrast is common in SVHN, so it is drawn more often; the 0.01 margin survives uint8 rounding.
    contrast = MIN_CONTRAST + 0.01 + (0.7 - MIN_CONTRAST) * rng.uniform(0, 1, n) ** 1.5
    low = 0.03 + rng.uniform(0, 1, n) * (0.94 - contrast)
    high = low + contrast
    bg_hue, fg_hue = rng.uniform(0, 1, n), rng.uniform(0, 1, n)
    # House numbers are often a shade of the plaque's own colour, so half the time the hues are close.
    same_hue = rng.uniform(0, 1, n) < 0.5
    fg_hue = np.where(same_hue, (bg_hue + rng.normal(0, 0.05, n)) % 1.0, fg_hue)
    # Mostly greyish colours, as on real walls and plaques.
    bg_sat, fg_sat = 0.8 * rng.uniform(0, 1, n) ** 2, 0.8 * rng.uniform(0, 1, n) ** 2
    fg_color = np.round(255 * _color_with_luma(fg_hue, fg_sat, np.where(polarity == 0, low, high)))
    bg_color = np.round(255 * _color_with_luma(bg_hue, bg_sat, np.where(polarity == 0, high, low)))

    jpeg = rng.integers(15, 90, n)
    compressed = rng.uniform(0, 1, n) < 0.5
    factors = {
        "label": label,
        "n_digits": n_digits,
        "left_digit": left,
        "right_digit": right,
        "font": font,
        "stroke": np.asarray(STROKES)[stroke],
        "scale": scale,
        "aspect": aspect,
        "rotation": rotation,
        "shear": shear,
        "shift_x": shift_x,  # output pixels, positive to the right
        "shift_y": shift_y,  # output pixels, positive downwards
        "spacing": rng.uniform(-0.02, 0.3, n),  # gap between digits / digit height; below 0 they touch
        "polarity": polarity,
        "fg_color": fg_color.astype(np.uint8),
        "bg_color": bg_color.astype(np.uint8),
        "contrast": np.abs((fg_color - bg_color) @ _LUMA) / 255,
        "texture": rng.integers(0, len(TEXTURES), n),
        "texture_strength": rng.uniform(0, 1, n),  # texture amplitude as a fraction of TEXTURE_MAX * contrast
        "lighting": rng.uniform(0, 0.35, n),  # relative darkening from the lit corner to the opposite one
        "blur": rng.uniform(0.2, 1.7, n),  # Gaussian sigma in output pixels
        "noise": rng.uniform(0, 0.08, n),  # pixel noise standard deviation, intensities in [0, 1]
        "jpeg_quality": np.where(compressed, jpeg, 0),  # 0: not compressed
    }
    return {k: v if v.dtype == np.uint8 else v.astype(np.int64 if v.dtype.kind in "iu" else np.float32)
            for k, v in factors.items()}


def _forward(zoom: np.ndarray, aspect: np.ndarray, rotation: np.ndarray, shear: np.ndarray) -> np.ndarray:
    """Glyph-to-image linear maps (n, 2, 2): stretch, then shear, rotate and zoom (y points down)."""
    t = np.deg2rad(rotation)
    c, s, one, zero = np.cos(t), np.sin(t), np.ones_like(t), np.zeros_like(t)
    rotate = np.stack([np.stack([c, s], -1), np.stack([-s, c], -1)], -2)
    sheared = np.stack([np.stack([aspect, shear], -1), np.stack([zero, one], -1)], -2)
    return zoom[:, None, None] * rotate @ sheared


def _color_with_luma(hue: np.ndarray, sat: np.ndarray, luma: np.ndarray) -> np.ndarray:
    """RGB in [0, 1] with the given hue and saturation, darkened or whitened to exactly the given luma."""
    k = (hue[:, None] * 6 + np.array([5, 3, 1])) % 6
    pure = 1 - sat[:, None] * np.clip(np.minimum(k, 4 - k), 0, 1)  # HSV with value 1
    y = pure @ _LUMA
    # Scaling towards black and mixing towards white both change luma linearly, so the target is hit exactly.
    dark = pure * (luma / y)[:, None]
    light = pure + (1 - pure) * ((luma - y) / (1 - y + 1e-9))[:, None]
    return np.where((luma <= y)[:, None], dark, light)


def _digit_masks(f: dict[str, np.ndarray]) -> np.ndarray:
    """Ink coverage (float32 in [0, 1], shape (n, 32, 32)): each image's digit string laid out and warped."""
    size = IMAGE_SIZE * _SUPERSAMPLE
    # PIL's affine transform maps output pixels to source pixels, so it takes the inverse of the forward map.
    inverse = np.linalg.inv(_forward(f["scale"] * size / GLYPH_HEIGHT, f["aspect"], f["rotation"], f["shear"])
                            .astype(np.float64))
    out_centre = size / 2 + _SUPERSAMPLE * np.stack([f["shift_x"], f["shift_y"]], -1).astype(np.float64)
    glyphs = _glyphs()
    masks = np.empty((len(inverse), IMAGE_SIZE, IMAGE_SIZE), dtype=np.float32)
    for i, inv in enumerate(inverse):
        by_digit = glyphs[f["font"][i]][STROKES.index(float(f["stroke"][i]))]
        parts = [by_digit[d] for d in (f["left_digit"][i], f["label"][i], f["right_digit"][i]) if d >= 0]
        gap = int(round(f["spacing"][i] * GLYPH_HEIGHT))
        height = max(m.shape[0] for m in parts)
        # A blank margin, because PIL drops output pixels that sample the source's outermost half pixel.
        pad = 2
        width = sum(m.shape[1] for m in parts) + gap * (len(parts) - 1)
        strip = np.zeros((height + 2 * pad, width + 2 * pad), dtype=np.uint8)
        centre = int(f["left_digit"][i] >= 0)
        x, anchor = pad, np.zeros(2)
        for j, m in enumerate(parts):
            top = pad + (height - m.shape[0]) // 2
            if j == centre:
                anchor = np.array([x + m.shape[1] / 2, top + m.shape[0] / 2])
            # max, not overwrite: with a negative gap neighbouring digits touch, and neither may erase the other.
            region = strip[top:top + m.shape[0], x:x + m.shape[1]]
            np.maximum(region, m, out=region)
            x += m.shape[1] + gap
        # Anchor the map so that the centre digit's middle lands on the shifted image centre.
        offset = anchor - inv @ out_centre[i]
        coeffs = (inv[0, 0], inv[0, 1], offset[0], inv[1, 0], inv[1, 1], offset[1])
        warped = Image.fromarray(strip).transform((size, size), Image.Transform.AFFINE, coeffs,
                                                  resample=Image.Resampling.BILINEAR)
        masks[i] = np.asarray(warped.reduce(_SUPERSAMPLE))
    return masks / 255


def _textures(rng: np.random.Generator, kinds: np.ndarray) -> np.ndarray:
    """Background luminance patterns in [-1, 1], shape (n, 32, 32), one of TEXTURES per image.

    Every image draws the random numbers of every texture, so the stream stays aligned whatever the kinds are.
    """
    n, s = len(kinds), IMAGE_SIZE
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) / (s - 1) - 0.5
    angle = rng.uniform(0, 2 * np.pi, (n, 1, 1)).astype(np.float32)
    phase = rng.uniform(0, 2 * np.pi, (n, 1, 1)).astype(np.float32)
    period = rng.uniform(4, 12, (n, 1, 1)).astype(np.float32) / s
    coarse = rng.standard_normal((n, 5, 5), dtype=np.float32)
    brick_h = rng.uniform(6, 12, (n, 1, 1)).astype(np.float32) / s
    brick_off = rng.uniform(0, 1, (n, 2, 1, 1)).astype(np.float32)
    speckle = rng.standard_normal((n, s, s), dtype=np.float32)
    edge_at = rng.uniform(-0.45, 0.45, (n, 1, 1)).astype(np.float32)

    def along(i: np.ndarray) -> np.ndarray:  # coordinate along a random direction, in [-0.71, 0.71]
        return np.cos(angle[i]) * xx + np.sin(angle[i]) * yy

    def clouds(i: np.ndarray) -> np.ndarray:  # a 5x5 random grid upsampled bilinearly
        up = np.maximum(0, 1 - np.abs(np.linspace(0, 4, s, dtype=np.float32)[:, None] - np.arange(5)))
        return np.clip(up @ coarse[i] @ up.T / 0.6, -1, 1)

    def bricks(i: np.ndarray) -> np.ndarray:
        row = (yy + 0.5) / brick_h[i] + brick_off[i, 0]
        col = (xx + 0.5) / (2 * brick_h[i]) + brick_off[i, 1] + 0.5 * (np.floor(row) % 2)
        mortar = (np.minimum(row % 1, 1 - row % 1) < 0.08) | (np.minimum(col % 1, 1 - col % 1) < 0.05)
        return np.where(mortar, 1.0, -0.3)

    makers: dict[str, Callable[[np.ndarray], np.ndarray | float]] = {
        "flat": lambda i: 0.0,
        "gradient": lambda i: along(i) / 0.71,
        "clouds": clouds,
        "stripes": lambda i: np.sin(2 * np.pi * along(i) / period[i] + phase[i]),
        "bricks": bricks,
        "speckle": lambda i: np.clip(speckle[i], -2, 2) / 2,
        "edge": lambda i: np.where(along(i) > edge_at[i], 1.0, -1.0),
    }
    out = np.zeros((n, s, s), dtype=np.float32)
    for kind, make in enumerate(makers[name] for name in TEXTURES):
        chosen = np.flatnonzero(kinds == kind)
        if len(chosen):
            out[chosen] = make(chosen)
    return out


def _blur_matrices(sigma: np.ndarray) -> np.ndarray:
    """Row-normalised Gaussian matrices (n, 32, 32); K @ X @ K.T blurs X, renormalising at the border."""
    idx = np.arange(IMAGE_SIZE, dtype=np.float64)
    d2 = (idx[:, None] - idx[None, :]) ** 2
    k = np.exp(-d2[None] / (2 * np.maximum(sigma, 1e-3)[:, None, None] ** 2))
    return k / k.sum(axis=2, keepdims=True)


def _generate_chunk(seed: int, chunk: int, count: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Images and factors of chunk ``chunk``: its first ``count`` of _CHUNK images.

    All random numbers are drawn for a full chunk, so a shorter chunk is a prefix of the full one.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(chunk,)))
    f = _sample_factors(rng, _CHUNK)
    texture = _textures(rng, f["texture"])
    s = IMAGE_SIZE
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) / (s - 1) - 0.5
    light_angle = rng.uniform(0, 2 * np.pi, (_CHUNK, 1, 1)).astype(np.float32)
    noise = rng.standard_normal((_CHUNK, s, s, 3), dtype=np.float32)
    f = {k: v[:count] for k, v in f.items()}

    mask = _digit_masks(f)[..., None]
    fg = f["fg_color"][:, None, None, :].astype(np.float32) / 255
    bg = f["bg_color"][:, None, None, :].astype(np.float32) / 255
    # Texture amplitude is tied to the contrast so the digit stays the strongest edge in the image.
    amplitude = (TEXTURE_MAX * f["contrast"] * f["texture_strength"])[:, None, None, None]
    bg = bg + amplitude * texture[:count, ..., None]
    image = bg * (1 - mask) + fg * mask
    # Uneven light only darkens: brightening would clip light colours to white and erase the contrast.
    shade = 0.5 + (np.cos(light_angle[:count]) * xx + np.sin(light_angle[:count]) * yy) / 1.42
    image = image * (1 - f["lighting"][:, None, None, None] * shade[..., None])

    k = _blur_matrices(f["blur"])
    # float64: numpy's stacked float32 matmul skips BLAS and is several times slower here.
    image = np.einsum("bij,bjkc,blk->bilc", k, image.astype(np.float64), k, optimize=True)
    image = image + f["noise"][:, None, None, None] * noise[:count]
    image = np.clip(np.round(image * 255), 0, 255).astype(np.uint8)
    for i in np.flatnonzero(f["jpeg_quality"]):
        buffer = io.BytesIO()
        Image.fromarray(image[i]).save(buffer, format="JPEG", quality=int(f["jpeg_quality"][i]))
        image[i] = np.asarray(Image.open(buffer))
    return image, f


def _generate_chunk_args(args: tuple[int, int, int]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    return _generate_chunk(*args)


def generate(n: int, seed: int, workers: int | None = None,
             progress: bool = False) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Generate ``n`` synth-svhn images from ``seed``.

    Args:
        n: number of images, positive.
        seed: non-negative integer; the same seed gives the same bytes whatever ``workers`` is.
        workers: worker processes; defaults to ``min(2, os.cpu_count())``. 1 runs in this process.
        progress: show a tqdm progress bar.

    Returns:
        ``(images, labels, factors)``: uint8 images (n, 32, 32, 3) in NHWC order, int64 labels (n,), and a dict
        from factor name (GLOBAL_FACTORS + LOCAL_FACTORS) to an array of length n; ``fg_color`` and ``bg_color``
        are uint8 RGB of shape (n, 3), absent neighbour digits are -1.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise ValueError(f"n must be a positive integer, got {n!r}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}.")
    if workers is None:
        workers = min(2, os.cpu_count() or 1)
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers <= 0:
        raise ValueError(f"workers must be a positive integer or None, got {workers!r}.")

    jobs = [(int(seed), c, min(_CHUNK, n - c * _CHUNK)) for c in range(-(-n // _CHUNK))]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=n, desc="synth-svhn", unit="img")
    results = []
    if workers == 1 or len(jobs) == 1:
        chunks: Iterator[Any] = map(_generate_chunk_args, jobs)
        pool = None
    else:
        # fork where the platform has it: workers inherit the glyph masters, and scripts need no __main__ guard.
        # The workers run only numpy and Pillow, so threads the parent may hold (torch's) are never re-entered.
        _glyphs()
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else None)
        pool = context.Pool(min(workers, len(jobs)))
        chunks = pool.imap(_generate_chunk_args, jobs)
    try:
        for result in chunks:
            results.append(result)
            if bar is not None:
                bar.update(len(result[0]))
    finally:
        if pool is not None:
            pool.terminate()
        if bar is not None:
            bar.close()

    images = np.concatenate([r[0] for r in results])
    factors = {k: np.concatenate([r[1][k] for r in results]) for k in results[0][1]}
    return images, factors["label"].copy(), factors


def generate_split(split: str, n: int | None = None, workers: int | None = None,
                   progress: bool = False) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Generate a split (``train``, ``test`` or ``extra``) with its size and seed from SPLIT_SIZES and SPLIT_SEEDS.

    ``n`` takes only the first ``n`` images of the split (the same images the full split starts with).
    """
    if split not in SPLIT_SIZES:
        raise ValueError(f"split must be one of {', '.join(SPLIT_SIZES)}, got {split!r}.")
    return generate(SPLIT_SIZES[split] if n is None else n, SPLIT_SEEDS[split], workers=workers, progress=progress)
