import pandas as pd
import pytest
import torch
from torch import nn

import auxlib
from auxlib import compute


class _OneLinear(nn.Module):
    """A model of one dense layer with the loss a trainer calls: its FLOPs can be counted by hand."""

    def __init__(self, inputs: int, outputs: int):
        super().__init__()
        self.layer = nn.Linear(inputs, outputs)

    def loss(self, x, y, generator=None):
        return {"loss": self.layer(x.flatten(1).float()).square().mean()}


def test_step_flops_of_one_dense_layer_is_its_forward_and_weight_gradient_products():
    batch, inputs, outputs = 3, 2 * 4 * 4, 5
    images = torch.zeros(batch, 2, 4, 4, dtype=torch.uint8)
    # forward: 2 FLOPs per multiply-add; backward: the weight's gradient only (the images need none)
    flops = compute.step_flops(_OneLinear(inputs, outputs), images, torch.zeros(batch))
    assert flops == 2 * 2 * batch * inputs * outputs


def test_flops_per_image_of_the_classifier_against_a_hand_count():
    config = auxlib.experiment("classifier", "quick", widths=(8, 16))
    # 3x3 convolutions, padding 1: 3 -> 8 and 8 -> 8 at 32 x 32, pooled, 8 -> 16 and 16 -> 16 at 16 x 16; a dense
    # layer 16 -> 10. Forward once, backward twice (input and weight gradients) but the first layer's input
    # gradient, which the images do not need.
    convolutions = [2 * 1024 * 8 * 3 * 9, 2 * 1024 * 8 * 8 * 9, 2 * 256 * 16 * 8 * 9, 2 * 256 * 16 * 16 * 9]
    dense = 2 * 16 * 10
    assert compute.flops_per_image(config) == 3 * (sum(convolutions) + dense) - convolutions[0]


@pytest.mark.parametrize("chapter", ["exp1", "exp2"])
def test_flops_per_image_does_not_depend_on_the_batch_counted_and_leaves_the_random_stream(chapter):
    config = auxlib.experiment(chapter, "quick", dataset="synth-svhn", widths=(8, 16), z_g=4, z_l=4)
    state = torch.get_rng_state()
    one, four = compute.flops_per_image(config, batch=1), compute.flops_per_image(config, batch=4)
    assert one == four > 0
    assert torch.equal(torch.get_rng_state(), state)
    with pytest.raises(ValueError, match="^batch must be a positive integer, got 0."):
        compute.flops_per_image(config, batch=0)


def test_gpu_hours_is_steps_times_batch_times_flops_over_the_throughput_reached():
    config = auxlib.experiment("classifier", "quick", widths=(8, 16))
    flops = config.train.steps * config.train.batch_size * compute.flops_per_image(config)
    assert compute.gpu_hours(config, throughput_flops=1e9, utilisation=0.5) == pytest.approx(flops / 0.5e9 / 3600)
    assert compute.gpu_hours(config) == pytest.approx(flops / (compute.THROUGHPUT * compute.UTILISATION) / 3600)
    with pytest.raises(ValueError, match=r"^utilisation must be a number in \(0, 1\], got 1.5."):
        compute.gpu_hours(config, utilisation=1.5)
    with pytest.raises(ValueError, match="^throughput_flops must be a number of FLOP/s > 0, got 0."):
        compute.gpu_hours(config, throughput_flops=0)


def test_paper_estimate_has_a_row_per_profile_group_at_the_paper_s_budget():
    table = compute.paper_estimate()
    assert list(table.index) == list(auxlib.profiles.PROFILES)
    exp1 = auxlib.profiles.auxvae("paper", "svhn")
    row = table.loc["exp1"]
    assert row["network"] == "AuxVAE" and row["runs"] == 3 and row["steps"] == 1_000_000 and row["batch"] == 64
    assert row["GFLOPs per image"] == pytest.approx(compute.flops_per_image(exp1) / 1e9)
    assert row["GPU-hours at peak (lower bound)"] == pytest.approx(3 * compute.gpu_hours(exp1))
    assert table.loc["exp2", "network"] == "AuxGMVAE" and table.loc["exp2", "steps"] == 3_000_000
    assert table.loc["classifier", "runs"] == 1 and table.loc["exp2", "runs"] == 8
    # the paper's network costs more per image than the book's standard one
    assert row["GFLOPs per image"] > compute.flops_per_image(auxlib.profiles.auxvae("standard", "svhn")) / 1e9


def test_the_estimate_s_sentence_says_it_is_one_and_quotes_its_assumptions():
    table = pd.DataFrame({"runs": [1, 3], "GPU-hours at peak (lower bound)": [0.5, 1.25]})
    text = compute.estimate_note(table)
    assert text.startswith("These GPU-hours are a lower bound, not a measurement")
    assert f"{compute.THROUGHPUT / 1e12:,.0f} TFLOP/s, {compute.THROUGHPUT_SOURCE}" in text
    assert f"as if a step reached {compute.UTILISATION:.0%} of it" in text and "lower bound" in text
    assert "the 4 runs counted take 1.75 GPU-hours together" in text
