"""The transforms g(x) that destroy the information the main latent should hold, and their registry.

``patch_shuffle`` keeps the pixels inside each n x n patch and scrambles where the patches go, so only local
(short-range) structure survives; ``grayscale`` removes colour; ``patch_rotate`` (beyond the paper) turns each
patch by a random multiple of 90 degrees and leaves it in place. All act on a batch tensor ``(B, C, H, W)`` on any
device, without a Python loop over images.

An AuxVAE finds its g by the name in ``AuxVAEConfig.transform`` in :data:`TRANSFORMS`; a new g is one function
here under :func:`register`, plus its tests.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

#: g(x) as the AuxVAE calls it: a float batch ``(B, C, H, W)`` in [0, 1], the patch size n and a generator (None:
#: the global one) -> x^ of the same shape.
Transform = Callable[[torch.Tensor, int, torch.Generator | None], torch.Tensor]
#: Every g an AuxVAE can use, by the name its config gives (:func:`register`).
TRANSFORMS: dict[str, Transform] = {}


def register(name: str) -> Callable[[Transform], Transform]:
    """Decorator: make ``fn`` the transform ``AuxVAEConfig(transform=name)`` uses. Raises ValueError when the name
    is taken."""
    def add(fn: Transform) -> Transform:
        if name in TRANSFORMS:
            raise ValueError(f"name must be a new transform name, got {name!r}, which is registered already.")
        TRANSFORMS[name] = fn
        return fn
    return add


def get(name: str) -> Transform:
    """The transform registered as ``name``; raises ValueError naming the registered ones otherwise."""
    if name not in TRANSFORMS:
        raise ValueError(f"transform must be one of {', '.join(TRANSFORMS)}, got {name!r}.")
    return TRANSFORMS[name]


def _patches(x: torch.Tensor, n: int) -> tuple[torch.Tensor, int, int]:
    """The batch ``(B, C, H, W)`` as ``(B, m, C, n, n)``, one entry per n x n patch in row-major order, with the
    rows and columns of patches; raises ValueError unless x is a batch and n divides H and W."""
    if x.dim() != 4:
        raise ValueError(f"x must be a batch of shape (B, C, H, W), got shape {tuple(x.shape)}.")
    b, c, h, w = x.shape
    if not isinstance(n, int) or isinstance(n, bool) or n < 1 or h % n or w % n:
        raise ValueError(f"n must be a positive integer that divides the image height {h} and width {w}, got {n!r}.")
    rows, cols = h // n, w // n
    return x.reshape(b, c, rows, n, cols, n).permute(0, 2, 4, 1, 3, 5).reshape(b, rows * cols, c, n, n), rows, cols


def _image(patches: torch.Tensor, rows: int, cols: int) -> torch.Tensor:
    """Inverse of :func:`_patches`."""
    b, _, c, n, _ = patches.shape
    return patches.reshape(b, rows, cols, c, n, n).permute(0, 3, 1, 4, 2, 5).reshape(b, c, rows * n, cols * n)


def patch_shuffle(x: torch.Tensor, n: int, generator: torch.Generator | None = None,
                  shared: bool = False) -> torch.Tensor:
    """Cut each image into n x n patches and put them back in a random order.

    Args:
        x: batch ``(B, C, H, W)`` of any dtype.
        n: patch size; must divide both H and W. ``n = 1`` shuffles pixels, ``n = H = W`` is the identity.
        generator: source of the permutations (for reproducible runs); its device is used to draw them.
        shared: one permutation for the whole batch instead of an independent one per image.
    """
    patches, rows, cols = _patches(x, n)
    b, m = patches.shape[:2]
    if m == 1:
        return x.clone()
    draw_device = generator.device if generator is not None else x.device
    keys = torch.rand(1 if shared else b, m, generator=generator, device=draw_device)
    perm = keys.argsort(dim=1).to(x.device).expand(b, m)
    return _image(torch.gather(patches, 1, perm[:, :, None, None, None].expand_as(patches)), rows, cols)


def patch_rotate(x: torch.Tensor, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Beyond the paper: turn each n x n patch of each image by its own random multiple of 90 degrees, in place.
    Where the patches are, and so the layout, survives; every structure longer than a patch is broken. ``n = 1``
    is the identity.

    Args:
        x: batch ``(B, C, H, W)`` of any dtype, with H and W divisible by n.
        n: patch size.
        generator: source of the turns; its device is used to draw them.
    """
    patches, rows, cols = _patches(x, n)
    draw_device = generator.device if generator is not None else x.device
    turns = torch.randint(0, 4, patches.shape[:2], generator=generator, device=draw_device).to(x.device)
    out = patches
    for k in (1, 2, 3):
        out = torch.where((turns == k)[:, :, None, None, None], torch.rot90(patches, k, dims=(3, 4)), out)
    return _image(out, rows, cols)


# ITU-R BT.601 luma weights, the usual RGB -> grey conversion (as in torchvision's rgb_to_grayscale).
_LUMA = (0.299, 0.587, 0.114)


def _luma(x: torch.Tensor) -> torch.Tensor:
    """The luma (B, 1, H, W), as float, of an RGB batch (B, 3, H, W); raises ValueError for any other shape."""
    if x.dim() != 4 or x.shape[1] != 3:
        raise ValueError(f"x must be a batch of RGB images of shape (B, 3, H, W), got shape {tuple(x.shape)}.")
    weights = torch.tensor(_LUMA, device=x.device, dtype=torch.float32).view(1, 3, 1, 1)
    return (x.float() * weights).sum(dim=1, keepdim=True)


def grayscale(x: torch.Tensor) -> torch.Tensor:
    """Replace each pixel by its luminance, kept as 3 equal channels so shapes do not change.

    Accepts float images or uint8 (rounded back to uint8).
    """
    luma = _luma(x)
    if x.dtype == torch.uint8:
        luma = luma.round().clamp(0, 255).to(torch.uint8)
    else:
        luma = luma.to(x.dtype)
    return luma.expand(-1, 3, -1, -1).contiguous()


def standardised_luma(x: torch.Tensor, aligned: bool = False) -> torch.Tensor:
    """Each image's luma with its own mean subtracted and divided by its own standard deviation: one channel that
    keeps the image's shapes and loses its colour, brightness and contrast. With ``aligned`` the sign is turned
    so that the map's skew is positive: the minority of pixels (a digit on its ground) comes out bright whatever
    the polarity of the image.

    Args:
        x: RGB batch ``(B, 3, H, W)``, float in [0, 1] or uint8.

    Returns:
        float ``(B, 1, H, W)``, zero mean and unit deviation per image (a flat image gives zeros).
    """
    luma = _luma(x)
    centred = luma - luma.mean(dim=(2, 3), keepdim=True)
    std = centred.pow(2).mean(dim=(2, 3), keepdim=True).sqrt()
    standard = centred / std.clamp_min(1e-6 * (255 if x.dtype == torch.uint8 else 1))
    if aligned:
        skew = standard.pow(3).mean(dim=(2, 3), keepdim=True)
        standard = standard * torch.where(skew < 0, -1.0, 1.0)
    return standard


def random_shift_flip(x: torch.Tensor, shift: int, flip: bool, generator: torch.Generator | None = None
                      ) -> torch.Tensor:
    """Data augmentation for a classifier: each image moved by up to ``shift`` pixels in each direction (the
    border reflected into the gap), and mirrored left-right with probability 1/2 when ``flip``.

    Args:
        x: batch ``(B, C, H, W)`` of any dtype; ``shift`` must be smaller than H and W.
        generator: source of the shifts and flips; its device is used to draw them.
    """
    if x.dim() != 4:
        raise ValueError(f"x must be a batch of shape (B, C, H, W), got shape {tuple(x.shape)}.")
    b, _, h, w = x.shape
    if not isinstance(shift, int) or isinstance(shift, bool) or not 0 <= shift < min(h, w):
        raise ValueError(f"shift must be an integer in [0, {min(h, w) - 1}], got {shift!r}.")
    draw_device = generator.device if generator is not None else x.device
    if shift:
        padded = torch.nn.functional.pad(x.float(), (shift,) * 4, mode="reflect").to(x.dtype)
        offsets = torch.randint(0, 2 * shift + 1, (2, b), generator=generator, device=draw_device).to(x.device)
        rows = (offsets[0, :, None] + torch.arange(h, device=x.device))[:, None, :, None]  # (B, 1, H, 1)
        cols = (offsets[1, :, None] + torch.arange(w, device=x.device))[:, None, None, :]  # (B, 1, 1, W)
        batch = torch.arange(b, device=x.device)[:, None, None, None]
        channel = torch.arange(x.shape[1], device=x.device)[None, :, None, None]
        x = padded[batch, channel, rows, cols]
    if flip:
        mirrored = torch.rand(b, generator=generator, device=draw_device).to(x.device) < 0.5
        x = torch.where(mirrored[:, None, None, None], x.flip(3), x)
    return x


@register("shuffle")
def _shuffle(x: torch.Tensor, n: int, generator: torch.Generator | None) -> torch.Tensor:
    return patch_shuffle(x, n, generator=generator)


@register("grayscale")
def _grayscale(x: torch.Tensor, n: int, generator: torch.Generator | None) -> torch.Tensor:
    return grayscale(x)


@register("rotate")
def _rotate(x: torch.Tensor, n: int, generator: torch.Generator | None) -> torch.Tensor:
    return patch_rotate(x, n, generator=generator)
