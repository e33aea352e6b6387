"""The transforms g(x) that destroy the information the main latent should hold.

``patch_shuffle`` keeps the pixels inside each n x n patch and scrambles where the patches go, so only local
(short-range) structure survives; ``grayscale`` removes colour. Both act on a batch tensor ``(B, C, H, W)`` on
any device, without a Python loop over images.
"""

from __future__ import annotations

import torch


def patch_shuffle(x: torch.Tensor, n: int, generator: torch.Generator | None = None,
                  shared: bool = False) -> torch.Tensor:
    """Cut each image into n x n patches and put them back in a random order.

    Args:
        x: batch ``(B, C, H, W)`` of any dtype.
        n: patch size; must divide both H and W. ``n = 1`` shuffles pixels, ``n = H = W`` is the identity.
        generator: source of the permutations (for reproducible runs); its device is used to draw them.
        shared: one permutation for the whole batch instead of an independent one per image.
    """
    if x.dim() != 4:
        raise ValueError(f"x must be a batch of shape (B, C, H, W), got shape {tuple(x.shape)}.")
    b, c, h, w = x.shape
    if not isinstance(n, int) or isinstance(n, bool) or n < 1 or h % n or w % n:
        raise ValueError(f"n must be a positive integer that divides the image height {h} and width {w}, got {n!r}.")
    rows, cols = h // n, w // n
    m = rows * cols
    if m == 1:
        return x.clone()
    # (B, C, rows, n, cols, n) -> (B, m, C, n, n): one entry per patch, pixels inside it untouched.
    patches = x.reshape(b, c, rows, n, cols, n).permute(0, 2, 4, 1, 3, 5).reshape(b, m, c, n, n)
    draw_device = generator.device if generator is not None else x.device
    keys = torch.rand(1 if shared else b, m, generator=generator, device=draw_device)
    perm = keys.argsort(dim=1).to(x.device).expand(b, m)
    shuffled = torch.gather(patches, 1, perm[:, :, None, None, None].expand_as(patches))
    return shuffled.reshape(b, rows, cols, c, n, n).permute(0, 3, 1, 4, 2, 5).reshape(b, c, h, w)


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
