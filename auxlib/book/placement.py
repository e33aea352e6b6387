"""Where each true factor lives in a trained model: probes from z_g and from z_l, a placement score, and MIG.

A probe (:mod:`auxlib.probes`) is fitted on the codes of some images and scored on the codes of others, once per
factor and latent part. Discrete factors are scored by accuracy rescaled so that 0 is the majority guess and 1 is
perfect; continuous factors by R^2 (0 is the mean guess, 1 is perfect). Both kinds of score thus read alike, and a
score near 0 means the part holds nothing a probe can find about the factor.

The placement chapter's sentences, built from these measures by the bars of :mod:`auxlib.claims`, are the last
section.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import mutual_info_score

from ..analysis import latents
from ..analysis.probes import PROBES, active_units, probe_score
from ..data import ImageSet, synth_svhn, to_tensor
from ..data.factors import CHROMA_VIEWS, chroma, discretise, scalar_factors
from ..data.synth_svhn import LAYOUT_COLOUR_FACTORS
from ..model.config import RunConfig
from ..model.models import AuxVAE
from . import claims
from .profiles import experiment
from .tables import series

#: The data sets that record every image's true factors, which placement is measured against.
FACTOR_DATASETS = ("synth-svhn",)


def check_dataset(dataset: str) -> None:
    """Raise a ValueError unless ``dataset`` records true factors (see :data:`FACTOR_DATASETS`)."""
    if dataset not in FACTOR_DATASETS:
        raise ValueError(f"dataset must be {' or '.join(FACTOR_DATASETS)}, a data set that records the true factors "
                         f"of its images, got {dataset!r}.")


def run_config(profile: str, dataset: str, patch_size: int = 1, beta: float = 1.0, seed: int = 0,
               transform: str = "shuffle", z_g: int | None = None, steps: int | None = None) -> RunConfig:
    """One run of the placement sweeps: Experiment 1's network at the ``placement`` profile. ``z_g`` moves the
    split of the latent between the parts while their total stays the profile's (256 at ``standard``)."""
    base = experiment("placement", profile, dataset=dataset).model
    total = base.z_g + base.z_l
    if z_g is not None and not (isinstance(z_g, int) and 0 < z_g < total):
        raise ValueError(f"z_g must be an integer between 1 and {total - 1} (the latent has {total} dims), "
                         f"got {z_g!r}.")
    sizes = {} if z_g is None else {"z_g": z_g, "z_l": total - z_g}
    return experiment("placement", profile, dataset=dataset, patch_size=patch_size, beta=beta, seed=seed,
                      transform=transform, steps=steps, **sizes)


Matrix = dict[str, dict[str, float]]


def probe_matrices(train_codes: dict[str, np.ndarray], train_factors: dict[str, np.ndarray],
                   test_codes: dict[str, np.ndarray], test_factors: dict[str, np.ndarray], probe: str = "linear",
                   names: Sequence[str] | None = None, seed: int = 0) -> tuple[Matrix, Matrix]:
    """Scores of ``probe`` for every factor (rows) from every latent part (columns, the keys of the code dicts,
    e.g. "z_g" and "z_l"), as two matrices from one fit: the chance-rescaled scores and the raw accuracies (R^2
    for continuous factors) of :func:`auxlib.probes.probe_score`. Colours are probed through their luma.
    Raises ValueError for names that are not factors, or an unknown probe."""
    train_f, test_f = scalar_factors(train_factors), scalar_factors(test_factors)
    names = list(names) if names is not None else list(train_f)
    unknown = sorted(set(names) - set(train_f))
    if unknown:
        raise ValueError(f"names must be factors of the data set ({', '.join(train_f)}), got {unknown}.")
    read = {name: {part: probe_score(train_codes[part], train_f[name], test_codes[part], test_f[name], probe, seed)
                   for part in train_codes} for name in names}
    return ({name: {part: s.score for part, s in row.items()} for name, row in read.items()},
            {name: {part: s.raw for part, s in row.items()} for name, row in read.items()})


def placement_matrix(train_codes: dict[str, np.ndarray], train_factors: dict[str, np.ndarray],
                     test_codes: dict[str, np.ndarray], test_factors: dict[str, np.ndarray],
                     probe: str = "linear", names: Sequence[str] | None = None) -> Matrix:
    """The chance-rescaled scores of :func:`probe_matrices`."""
    return probe_matrices(train_codes, train_factors, test_codes, test_factors, probe, names)[0]


def placement_score(matrix: dict[str, dict[str, float]], global_factors: Sequence[str],
                    local_factors: Sequence[str], parts: tuple[str, str] = ("z_g", "z_l")) -> float:
    """One number per model, higher for cleaner placement: the mean over global factors of (score from the
    global part - score from the local part) plus the mean over local factors of the reverse."""
    g, l = parts
    globals_ = [matrix[f][g] - matrix[f][l] for f in global_factors if f in matrix]
    locals_ = [matrix[f][l] - matrix[f][g] for f in local_factors if f in matrix]
    if not globals_ or not locals_:
        raise ValueError("the matrix must hold at least one global and one local factor.")
    return float(np.mean(globals_) + np.mean(locals_))


def group_scores(matrix: Matrix, parts: tuple[str, str] = ("z_g", "z_l")) -> dict[str, float]:
    """The placement score of each factor group of :data:`auxlib.synth_svhn.FACTOR_GROUPS` (a chroma factor
    belongs to its colour's group): the mean over the group's factors in ``matrix`` of the score from the part
    its kind belongs to (z_g for a global group) minus the score from the other. Groups with no factor in
    ``matrix`` are left out."""
    g, l = parts
    out = {}
    for group, members in synth_svhn.FACTOR_GROUPS.items():
        rows = [f for f in matrix if f.split(" ")[0] in members]
        if rows:
            sign = 1 if synth_svhn.FACTOR_KINDS[members[0]] == "global" else -1
            out[group] = float(np.mean([sign * (matrix[f][g] - matrix[f][l]) for f in rows]))
    return out


def mig(codes: np.ndarray, factors: dict[str, np.ndarray], bins: int = 20) -> tuple[float, dict[str, float]]:
    """Mutual information gap (Chen et al. 2018) of codes (n, d) against true factors, and its value per factor.

    Every code dimension is cut into ``bins`` equal-width bins and every factor into classes
    (:func:`auxlib.factors.discretise`); for each factor, the gap between the two code dimensions with the
    largest mutual information with it, divided by the factor's entropy. MIG is the mean over the factors.
    """
    codes = np.asarray(codes, dtype=np.float64)
    if codes.ndim != 2 or codes.shape[1] < 2:
        raise ValueError(f"codes must have shape (n, d) with d >= 2, got {codes.shape}.")
    binned = np.stack([np.digitize(c, np.histogram_bin_edges(c, bins)[1:-1]) for c in codes.T])
    per_factor = {}
    for name, values in discretise(factors).items():
        entropy = mutual_info_score(values, values)
        if entropy == 0:
            continue
        mi = np.sort([mutual_info_score(values, dim) for dim in binned])[::-1]
        per_factor[name] = float((mi[0] - mi[1]) / entropy)
    return float(np.mean(list(per_factor.values()))), per_factor


def factor_table(data: ImageSet) -> dict[str, np.ndarray]:
    """The true factors of a data set as probe targets: every recorded factor (colours as luma) plus the
    chroma of every colour (:func:`auxlib.factors.chroma`)."""
    if data.factors is None:
        raise ValueError("dataset must be one that records true factors (synth-svhn); this one has none.")
    return {**scalar_factors(data.factors), **chroma(data.factors)}


def factor_groups(names: Sequence[str]) -> dict[str, list[str]]:
    """synth-svhn's factors split into "global" (shape, identity, geometry) and "local" (colour, texture,
    photometry; chroma included), in the order of ``names``."""
    is_global = [n in synth_svhn.GLOBAL_FACTORS for n in names]
    return {"global": [n for n, g in zip(names, is_global) if g],
            "local": [n for n, g in zip(names, is_global) if not g]}


def measure(model: AuxVAE, fit: ImageSet, held: ImageSet, probes: Sequence[str] = PROBES,
            seed: int = 0, names: Sequence[str] | None = None) -> dict[str, Any]:
    """Probe a trained AuxVAE: codes (posterior means) of ``fit`` train the probes, codes of ``held`` score them.

    Returns ``{"matrix": {probe: placement matrix}, "raw": {probe: raw accuracies}, "active": {part: number of
    active units}, "mig": float, "mig_per_factor": {...}}``, MIG computed on the codes of ``held`` (z_g and z_l
    together). ``names`` limits the factors probed (all of :func:`factor_table` when None).
    """
    codes = {}
    for name, data in (("fit", fit), ("held", held)):
        both = latents.codes(model, to_tensor(data.images), "both", torch.Generator().manual_seed(seed))
        codes[name] = {"z_g": both[:, :model.config.z_g], "z_l": both[:, model.config.z_g:]}
    fit_f, held_f = factor_table(fit), factor_table(held)
    value, per_factor = mig(np.concatenate([codes["held"]["z_g"], codes["held"]["z_l"]], 1), held_f)
    read = {p: probe_matrices(codes["fit"], fit_f, codes["held"], held_f, p, names, seed) for p in probes}
    return {"matrix": {p: m for p, (m, _) in read.items()}, "raw": {p: r for p, (_, r) in read.items()},
            "active": {part: int(active_units(c).sum()) for part, c in codes["fit"].items()},
            "mig": value, "mig_per_factor": per_factor}


def summary(measured: dict[str, Any], groups: dict[str, Sequence[str]]) -> dict[str, float]:
    """The numbers that sum up one :func:`measure` result: the placement score of every probe measured
    (``"S (linear)"``, ``"S (knn)"``, ``"S (mlp)"``), ``"MIG"`` and, when the MLP probe was measured, the
    placement score of each factor group by it (``"S identity"``, ..., :func:`group_scores`)."""
    scores = {f"S ({probe})": placement_score(matrix, groups["global"], groups["local"])
              for probe, matrix in measured["matrix"].items()}
    by_group = group_scores(measured["matrix"]["mlp"]) if "mlp" in measured["matrix"] else {}
    return {**scores, "MIG": measured["mig"], **{f"S {group}": v for group, v in by_group.items()}}


def grid_tables(measured: dict[tuple[int, float], dict[str, object]], groups: dict[str, Sequence[str]]
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The placement score S (k-NN) and MIG of a patch size x beta sweep (``measured``: (n, beta) ->
    :func:`measure` result), each as a table with one row per patch size n and one column per beta."""
    index = pd.Index(sorted({n for n, _ in measured}), name="patch size n")
    columns = pd.Index(sorted({b for _, b in measured}), name="β")
    scores = pd.DataFrame([[summary(measured[n, b], groups)["S (knn)"] for b in columns] for n in index],
                          index=index, columns=columns)
    mig = pd.DataFrame([[measured[n, b]["mig"] for b in columns] for n in index], index=index, columns=columns)
    return scores, mig


def group_means(matrix: dict[str, dict[str, float]], groups: dict[str, Sequence[str]]) -> dict[str, float]:
    """Mean probe score of each factor group from each part, e.g. ``{"global from z_g": ..., ...}``."""
    return {f"{group} from {part}": float(np.mean([matrix[f][part] for f in names]))
            for group, names in groups.items() for part in next(iter(matrix.values()))}


# The chapter's sentences.
def _counts(where: dict[str, str], names: Sequence[str], named: dict[str, list[str]] | None = None) -> str:
    """``"9 in z_g, 2 in both (x, y)"``: how many of ``names`` live in each part, largest first, with the factors of
    the parts in ``named`` listed."""
    counts = pd.Series([where[f] for f in names]).value_counts()
    named = named or {}
    return ", ".join(f"{n} in {part}" + (f" ({', '.join(named[part])})" if named.get(part) else "")
                     for part, n in counts.items())


def main_verdict(matrices: dict[str, dict[str, dict[str, float]]], mean: pd.DataFrame, sd: pd.DataFrame,
                   groups: dict[str, list[str]], seeds: Sequence[int], baselines: Sequence[str],
                   beyond: Sequence[str] = ()) -> str:
    """Experiment 1's models over seeds: where the AuxVAE's factors live by the MLP probe
    (:func:`auxlib.claims.location`) with the other probes' reading of the digit beside it, whether its placement
    score S (MLP) beats each baseline's by more than the seeds' noise (:func:`auxlib.claims.settled`), the
    factor groups that make the difference with the first baseline, the settings Experiment 1.1 shows beside
    the AuxVAE (``beyond``, :data:`auxlib.local_sweep.SHOWN`), and MIG.

    Args:
        matrices: the AuxVAE's placement matrix per probe ("linear", "knn", "mlp"), on its first seed.
        mean, sd: one row per model ("AuxVAE", the ``baselines``, the ``beyond`` settings), the mean and standard
            deviation over ``seeds`` of :func:`auxlib.placement.summary` ("S (mlp)", "MIG", "S <group>"...).
        groups: :func:`auxlib.placement.factor_groups` of the factors measured.
    """
    mlp, knn, linear = (matrices[p] for p in ("mlp", "knn", "linear"))
    where = {f: claims.location(scores) for f, scores in mlp.items()}
    local_in_g = [f for f in groups["local"] if where[f] == "z_g"]
    colour_in_g = [f for f in local_in_g if f in LAYOUT_COLOUR_FACTORS]
    text = (f"On seed {seeds[0]}, the MLP probe reads the digit label from the AuxVAE's $z_g$ with a score of "
            f"{mlp['label']['z_g']:.2f} and from its $z_l$ with {mlp['label']['z_l']:.2f}; the k-NN probe reads "
            f"{knn['label']['z_g']:.2f} and {knn['label']['z_l']:.2f}, the linear probe {linear['label']['z_g']:.2f} "
            f"and {linear['label']['z_l']:.2f}. Counting a factor as living in a part when that part's MLP score is "
            f"at least {claims.LOCATION_MARGIN} above the other's: of the {len(groups['global'])} global factors, "
            f"{_counts(where, groups['global'])}; of the {len(groups['local'])} local ones, "
            f"{_counts(where, groups['local'], {'z_g': local_in_g})}. ")
    if colour_in_g:
        text += (f"Of these, {series(colour_in_g)} {'says' if len(colour_in_g) == 1 else 'say'} which of the "
                 "image's colours draws the digit: the shuffled image keeps both colours but not where they are, so "
                 "the auxiliary decoder cannot tell digit from ground, and that part of the colour information stays "
                 "with the shape. ")
    score = "S (mlp)"
    text += (f"Over {len(seeds)} seeds, the placement score $S$ by the MLP probe is "
             + ", ".join(f"{mean.loc[n, score]:.2f} ± {sd.loc[n, score]:.2f} for the {n}"
                         for n in ["AuxVAE", *baselines])
             + ". ")
    said: list[str] = []
    beats: list[str] = []
    loses: list[str] = []
    for name in baselines:
        gap = mean.loc["AuxVAE", score] - mean.loc[name, score]
        spread = max(sd.loc["AuxVAE", score], sd.loc[name, score])
        settled = claims.settled(abs(gap), spread)
        (beats if gap > 0 and settled else loses if settled else []).append(name)
        said.append(f"{abs(gap):.2f} {'above' if gap > 0 else 'below'} the {name}'s, "
                    f"{'more' if settled else 'not more'} than {claims.SETTLE_FACTOR:g} times the larger standard "
                    f"deviation ({spread:.2f})")
    text += "The AuxVAE's $S$ is " + " and ".join(said) + ": "
    if len(beats) == len(baselines):
        text += "it places the factors more cleanly than both, as the paper claims for the auxiliary task. "
    elif loses:
        text += (f"the {' and the '.join(loses)} {'places' if len(loses) == 1 else 'place'} the factors more "
                 "cleanly, which contradicts the paper's claim at this budget. ")
    else:
        text += "these seeds do not settle that the auxiliary task places the factors more cleanly. "
    group_columns = [c for c in mean.columns if c.startswith("S ") and not c.startswith("S (")]
    if group_columns and baselines:
        diff = mean.loc["AuxVAE", group_columns] - mean.loc[baselines[0], group_columns]
        text += (f"By factor group, the AuxVAE's score minus the {baselines[0]}'s is "
                 + ", ".join(f"{d:+.2f} for {c[2:]}" for c, d in diff.items()) + ". ")
    if beyond:
        text += ("Of the settings Experiment 1.1 shows, "
                 + ", ".join(f"{n} scores {mean.loc[n, score]:.2f} ± {sd.loc[n, score]:.2f}" for n in beyond)
                 + f"; the highest $S$ of all is the {mean[score].idxmax()}'s. ")
    text += "MIG is " + ", ".join(f"{v:.3f}" for v in mean["MIG"]) + " in the order of the table: "
    return text + ("small for every model; the auxiliary task decides which *part* a factor goes to, not which "
                   "single dimension, and MIG does not reward that." if mean["MIG"].max() < claims.SMALL_MIG else
                   "the models differ in how much single dimensions capture single factors.")


def sweep_verdict(score_table: pd.DataFrame, paper_cell: tuple[int, float]) -> str:
    """the sweep of patch size n (rows) by beta (columns) scored by S on validation
    images: its best and worst cells, the paper's cell, the best n per beta and the mean per n."""
    cells = score_table.stack()
    (best_n, best_beta), (worst_n, worst_beta) = cells.idxmax(), cells.idxmin()
    text = f"On the validation images, the highest placement score is {cells.max():.2f}, at $n = {best_n}$, " \
           f"$\\beta = {best_beta:g}$"
    if paper_cell in cells.index:
        text += (f"; the paper's Experiment 1 cell ($n = {paper_cell[0]}$, $\\beta = {paper_cell[1]:g}$) scores "
                 f"{cells[paper_cell]:.2f}")
    return (text + f". The lowest is {cells.min():.2f}, at $n = {worst_n}$, $\\beta = {worst_beta:g}$. By β, the "
            "best patch size is " + ", ".join(f"{score_table[b].idxmax()} at β = {b:g}" for b in score_table.columns)
            + "; by patch size, the score averaged over β runs from "
            + ", ".join(f"{v:.2f} (n = {n})" for n, v in score_table.mean(axis=1).items()) + ".")


def best_vs_paper_verdict(best: Sequence[float], paper: Sequence[float], best_cell: tuple[int, float],
                            paper_cell: tuple[int, float]) -> str:
    """The placement chapter: whether the sweep's best cell beats the paper's on test images, from S over seeds
    of each (:func:`auxlib.claims.settled`)."""
    if best_cell == paper_cell:
        return "The paper's own cell is the best of the sweep."
    gap, spread = float(np.mean(best) - np.mean(paper)), max(float(np.std(best)), float(np.std(paper)))
    setting = f"$n = {best_cell[0]}$, $\\beta = {best_cell[1]:g}$"
    if claims.settled(gap, spread):
        return (f"On the test images the best cell beats the paper's by {gap:.2f} in $S$, more than "
                f"{claims.SETTLE_FACTOR:g} times the larger spread over seeds ({spread:.2f}): a user who wants "
                f"factors placed by kind should pick {setting} for this data and budget.")
    return (f"On the test images the best cell scores {np.mean(best):.2f} and the paper's {np.mean(paper):.2f} "
            f"(mean over {len(best)} and {len(paper)} seeds): a gap of {gap:+.2f}, not more than "
            f"{claims.SETTLE_FACTOR:g} times the larger spread over seeds ({spread:.2f}), so these seeds do not "
            f"settle which is better. The paper's setting stays a sound default; {setting} is the one to try first "
            "where cleaner placement is worth a sweep.")


def _chroma_factors(groups: dict[str, list[str]]) -> list[str]:
    """The chroma views (:func:`auxlib.factors.chroma`) among the local factors of ``groups``."""
    return [f for f in groups["local"] if f.endswith(CHROMA_VIEWS)]


def transform_leans(shuffle: dict[str, dict[str, float]], grey: dict[str, dict[str, float]],
                    groups: dict[str, list[str]]) -> dict[str, dict[str, float]]:
    """The leans (:func:`auxlib.claims.lean`) of the chroma factors and of the global (shape) factors, under the
    patch shuffle and under the grey-scale transform, from their k-NN placement matrices."""
    chroma = _chroma_factors(groups)
    return {name: {"chroma": claims.lean(m, chroma), "shape": claims.lean(m, groups["global"])}
            for name, m in (("shuffle", shuffle), ("grey", grey))}


def transform_verdict(leans: dict[str, dict[str, float]], groups: dict[str, list[str]]) -> str:
    """The placement chapter: whether the grey-scale transform moves colour towards z_g and shape out of it
    (:func:`auxlib.claims.moved`), from :func:`transform_leans`."""
    chroma = _chroma_factors(groups)
    shuffle, grey = leans["shuffle"], leans["grey"]
    return (f"Mean of (score from $z_g$ − score from $z_l$) over the {len(chroma)} chroma factors: "
            f"{shuffle['chroma']:+.2f} with the shuffle and {grey['chroma']:+.2f} with grey-scale; over the "
            f"{len(groups['global'])} global factors: {shuffle['shape']:+.2f} and {grey['shape']:+.2f}. "
            + ("Grey-scale moves the colour towards $z_g$, as the transform predicts"
               if claims.moved(shuffle["chroma"], grey["chroma"]) else
               f"Grey-scale does not move the colour towards $z_g$ by more than {claims.MOVE_MARGIN}, against what "
               "the transform predicts")
            + (", and moves shape information out of $z_g$ (the grey image keeps it, so $z_l$ may take it)."
               if claims.moved(grey["shape"], shuffle["shape"]) else
               ", and leaves the shape information about where it was."))


def split_verdict(scores: pd.Series, seed_spread: float, total: int) -> str:
    """The placement chapter: whether S follows the size of z_g (``scores``, S by z_g size, the latent's total
    size ``total`` fixed) by more than the spread over seeds of the paper's cell."""
    span = scores.max() - scores.min()
    return (f"Across $z_g$ sizes {', '.join(map(str, scores.index))} (of {total}), $S$ is "
            + ", ".join(f"{v:.2f}" for v in scores) + f": it spans {span:.2f}, against a standard deviation of "
            f"{seed_spread:.2f} between seeds of the paper's cell. "
            + ("Within that noise the placement does not follow the sizes." if not claims.settled(span, seed_spread)
               else f"That is more than seed noise: the split matters, and $S$ is highest with $z_g$ = "
               f"{scores.idxmax()}."))
