import numpy as np
import pytest
import torch

from auxlib import judge


class Brightness(torch.nn.Module):
    """Labels an image 1 when its centre pixel is brighter than the image's mean: blur erases the difference."""

    def __init__(self):
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(()))

    def forward(self, x):
        x = x.float() / 255 if x.dtype == torch.uint8 else x
        bright = (x[:, :, 16, 16].mean(1) > x.mean((1, 2, 3)) + 0.05).long()
        return torch.nn.functional.one_hot(bright, 2).float() + self.dummy


def spots(n=8):
    images = torch.zeros(n, 3, 32, 32, dtype=torch.uint8)
    images[:, :, 16, 16] = 255  # one bright pixel in the middle of each image
    return images


def test_blur_keeps_the_mean_and_spreads_a_spot():
    x = spots(2)
    assert torch.equal(judge.blur(x, 0), x.float() / 255)
    blurred = judge.blur(x, 1.0)
    assert blurred.shape == (2, 3, 32, 32)
    assert blurred.sum().item() == pytest.approx(x.float().div(255).sum().item(), rel=1e-4)
    assert 0 < blurred[0, 0, 16, 16] < 0.2 and blurred[0, 0, 16, 17] > 0
    with pytest.raises(ValueError, match="sigma must be a number >= 0"):
        judge.blur(x, -1)


def test_blur_accuracies_fall_as_blur_erases_what_the_classifier_reads():
    labels = np.ones(8, dtype=np.int64)
    scores = judge.blur_accuracies(Brightness(), spots(), labels, sigmas=(0, 3.0))
    assert scores == {0.0: 1.0, 3.0: 0.0}
    assert judge.accuracy(Brightness(), spots(), labels) == 1.0


class _Confident(torch.nn.Module):
    """Logits that put ~0.99 on class 0 for images whose first pixel is bright, and spread evenly otherwise."""

    def __init__(self):
        super().__init__()
        self.unused = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        bright = (x.float()[:, 0, 0, 0] > 0.5).float()
        return torch.nn.functional.one_hot(torch.zeros(len(x), dtype=torch.long), 10).float() * 10 * bright[:, None]


def test_legible_share_counts_the_images_read_with_confidence():
    x = torch.zeros(8, 3, 32, 32)
    x[:3, 0, 0, 0] = 1.0
    assert judge.legible_share(_Confident(), x) == pytest.approx(3 / 8)
    assert judge.legible_share(_Confident(), x, threshold=0.05) == 1.0  # an even spread gives 0.1 to each class
    assert judge.legible_share(_Confident(), x, threshold=0.9999) == 0.0
