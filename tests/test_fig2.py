import pandas as pd
import torch

from auxlib import fig2, models
from auxlib.model.config import AuxVAEConfig


class ColourFromZl(torch.nn.Module):
    """A stand-in decoder whose images take their brightness from z_l[0] and their redness from z_l[1], and
    nothing from z_g: a perfect local half."""

    config = AuxVAEConfig(z_g=4, z_l=4)

    def decode(self, z_g, z_l):
        image = torch.sigmoid(z_l[:, :1, None, None]).expand(-1, 3, 4, 4).clone()
        image[:, 0] += 0.2 * torch.tanh(z_l[:, 1, None, None]) + 0.001 * z_g[:, 0, None, None]
        return image.clamp(0, 1)

    def parameters(self):
        return iter([torch.zeros(1)])


def test_ratios_are_large_when_z_l_alone_moves_luma_and_chroma_and_one_for_a_real_model():
    ratios = fig2.ratios(ColourFromZl(), pairs=2, n=50)
    assert ratios["luma"] > 50 and ratios["chroma"] > 50
    spreads = fig2.spreads(fig2.grids(ColourFromZl(), pairs=2, n=50))
    assert list(spreads.index) == ["rgb", "luma", "chroma"] and list(spreads.columns) == [
        "z_l drawn", "z_g drawn", "z_l / z_g"]
    assert spreads.loc["luma", "z_g drawn"] < 1e-3 < spreads.loc["luma", "z_l drawn"]
    untrained = models.build(AuxVAEConfig(z_g=8, z_l=8, widths=(8, 16))).eval()
    assert set(fig2.ratios(untrained, pairs=1, n=20)) == {"luma", "chroma"}


def test_ratios_sentence_gives_both_views_per_data_set_and_who_meets_the_target_everywhere():
    ratios = pd.DataFrame({("synth-svhn", "standard"): {"luma": 2.1, "chroma": 0.9},
                           ("synth-svhn", "β_g = 4"): {"luma": 7.6, "chroma": 5.7},
                           ("CIFAR-10", "standard"): {"luma": 1.2, "chroma": 1.0},
                           ("CIFAR-10", "β_g = 4"): {"luma": 4.0, "chroma": 2.9}}).T
    text = fig2.ratios_verdict(ratios)
    assert text.startswith("On synth-svhn, drawing $z_l$ again moves luma and chroma 2.1 and 0.9 times as much for "
                           "**standard**, 7.6 and 5.7 times as much for **β_g = 4**. On CIFAR-10")
    assert text.endswith("at least 3 times as much as drawing $z_g$ again on every data set, is met by none.")
    ratios.loc[("CIFAR-10", "β_g = 4"), "chroma"] = 3.0
    assert fig2.ratios_verdict(ratios).endswith("is met by β_g = 4 and missed by standard.")
    assert "again on this data set, is met by β_g = 4" in fig2.ratios_verdict(ratios.loc[["synth-svhn"]])


def test_legible_sentence_holds_only_the_digit_data_sets_to_half_the_reconstructions_share():
    rows = {("synth-svhn", "standard"): (0.9, 0.6, 0.2, 0.3), ("synth-svhn", "β_g = 4"): (0.9, 0.8, 0.4, 0.6),
            ("CIFAR-10", "standard"): (0.6, 0.1, 0.0, 0.0), ("CIFAR-10", "β_g = 4"): (0.6, 0.1, 0.1, 0.0)}
    legible = pd.DataFrame({key: dict(zip(["test images", "reconstructions", "z_g drawn", "z_l drawn"], v))
                            for key, v in rows.items()}).T
    text = fig2.legible_verdict(legible, ["synth-svhn"])
    assert text.startswith("On synth-svhn, the classifier reads 90% of the test images with confidence (top "
                           "probability at least 0.9); of their reconstructions and of the decodes in the grids that "
                           "draw $z_g$ again and $z_l$ again, 60%, 20% and 30% for **standard**, 80%, 40% and 60% for "
                           "**β_g = 4**. On CIFAR-10")
    assert text.endswith("(at least 50% of the reconstructions' share), is met by β_g = 4 and missed by standard.")
    legible.loc[("synth-svhn", "β_g = 4"), "z_g drawn"] = 0.39
    assert fig2.legible_verdict(legible, ["synth-svhn"]).endswith("share), is met by none.")
    assert fig2.legible_verdict(legible, []).endswith("10%, 10% and 0% for **β_g = 4**.")
    legible["test images"] = 0.3
    assert fig2.legible_verdict(legible, ["synth-svhn"]).endswith(
        "fewer than 50% of the real test images with confidence, so its reading of the decodes cannot judge whether "
        "they hold legible digits.")


def test_met_by_says_a_list_as_a_sentence_does():
    met = pd.Series([True, False, False], index=["a", "b", "c"])
    assert fig2._met_by("The target", met) == "The target, is met by a and missed by b and c."
