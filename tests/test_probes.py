"""Known answers for the probes: codes that hold a factor linearly, nonlinearly, not at all, and beside many
inactive dimensions, as a large VAE latent leaves them."""

import numpy as np
import pytest

from auxlib import probes


def read(kind: str, probe: str) -> probes.ProbeScore:
    (a, ya), (b, yb) = probes.toy_codes(kind, 1500, 0), probes.toy_codes(kind, 800, 1)
    return probes.probe_score(a, ya, b, yb, probe)


@pytest.mark.parametrize("probe", probes.PROBES)
def test_every_probe_reads_a_linearly_held_factor_despite_inactive_dimensions(probe):
    s = read("linearly", probe)
    assert s.score > 0.9 and s.raw > 0.9 and 0.15 < s.chance < 0.3


@pytest.mark.parametrize("probe", ["knn", "mlp"])
def test_the_nonlinear_probes_read_rings_that_the_linear_probe_cannot(probe):
    assert read("nonlinearly", probe).score > 0.85
    assert read("nonlinearly", "linear").score < 0.4


@pytest.mark.parametrize("probe", probes.PROBES)
def test_no_probe_reads_a_factor_the_codes_do_not_hold(probe):
    s = read("not at all", probe)
    assert abs(s.score) < 0.08 and abs(s.raw - s.chance) < 0.08


def test_inactive_dimensions_are_left_out_not_blown_up():
    a, y = probes.toy_codes("nonlinearly", 1500, 0, inactive=200)
    assert probes.active_units(a).tolist() == [True, True] + [False] * 200
    b, yb = probes.toy_codes("nonlinearly", 800, 1, inactive=200)
    assert probes.probe_score(a, y, b, yb, "knn").score > 0.85
    assert probes.probe_score(a[:, 2:], y, b[:, 2:], yb, "knn") == probes.ProbeScore(0.0, *[
        np.mean(yb == np.bincount(y).argmax())] * 2)  # no active unit: nothing to find


def test_known_answers_table_holds_the_right_answers():
    table = probes.known_answers()
    assert list(table.index) == list(probes.TOY_KINDS) and list(table.columns) == list(probes.PROBES)
    assert (table.loc["linearly"] > 0.9).all() and (table.loc["not at all"].abs() < 0.1).all()
    assert table.loc["nonlinearly", "mlp"] > 0.8 > 0.4 > table.loc["nonlinearly", "linear"]
    with pytest.raises(ValueError, match="kind must be one of"):
        probes.toy_codes("sideways", 10)


@pytest.mark.parametrize("probe", probes.PROBES)
def test_a_continuous_factor_is_scored_by_r2(probe):
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(2000, 3))
    value = np.sin(2 * codes[:, 0]) + 0.05 * rng.normal(size=2000)
    s = probes.probe_score(codes[:1500], value[:1500], codes[1500:], value[1500:], probe)
    assert s.chance == 0 and s.score == s.raw
    assert s.score > (0.8 if probe != "linear" else -1) and s.score < (0.5 if probe == "linear" else 1)


def test_bad_probe_and_codes_are_named_in_the_error():
    with pytest.raises(ValueError, match="probe must be one of linear, knn, mlp"):
        probes.make_probe("svm", True)
    with pytest.raises(ValueError, match="codes must have shape"):
        probes.active_units(np.zeros(3))
