"""The data layer: data sets as in-memory uint8 arrays, with an on-disk cache; beside this module,
``synth_svhn`` (the synthetic SVHN stand-in, which records every image's true factors) and ``factors`` (tables of
those factors). Imports the model layer's configs only.

``load(name, split)`` returns an :class:`ImageSet` of NHWC uint8 images, int64 labels and, for synthetic data,
a table of the true factors of every image. The first load of a data set converts it once into
``<root>/<name>/<split>.npz``; later loads read that file. The root is the ``root`` argument, else the
``AUXLIB_DATA`` environment variable, else ``~/.cache/auxlib/data``.

Command line: ``python -m auxlib import-data PATH --name cifar10`` imports an ImageFolder tree (``PATH/train``,
``PATH/test``, one sub-folder per class) or a ``.tar.gz`` of one.
"""

from __future__ import annotations

import json
import os
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from tqdm import tqdm

from ..io import CACHE, SCRATCH, atomic_path, configured_folder, scratch_parent
from ..model.config import DATASETS, EXTRA_SPLIT

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
#: How pages name each data set, so that a reader always knows which data a figure shows.
NAMES = {"cifar10": "CIFAR-10", "svhn": "SVHN", "synth-svhn": "synth-svhn (the synthetic stand-in for SVHN)"}
#: The data sets of house-number digits, whose labels are the digit.
DIGITS = ("svhn", "synth-svhn")
SPLITS = {name: ("train", "test", "extra") if name in EXTRA_SPLIT else ("train", "test") for name in DATASETS}


class DataNotFoundError(FileNotFoundError):
    """A data set is not in the cache and could not be obtained."""


class BadDataError(ValueError):
    """A data file whose contents are not what its format promises (dtype, value range, shape, labels): it is
    refused before anything is cached."""


class ImageSet(NamedTuple):
    """Images ``(N, H, W, C)`` uint8, labels ``(N,)`` int64, and per-image factors (or None)."""

    images: np.ndarray
    labels: np.ndarray
    factors: dict[str, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, n: int | None, seed: int = 0) -> ImageSet:
        """``n`` examples drawn at random without replacement, in their original order (all when ``n`` is None
        or at least the size). Random, because files such as the CIFAR-10 copy are sorted by class."""
        if n is None or n >= len(self):
            return self
        return self.subsets([n], seed)[0]

    def subsets(self, sizes: Sequence[int], seed: int = 0) -> list[ImageSet]:
        """Disjoint random subsets with the given sizes, each in its original order: e.g. images to fit a
        probe on and others to validate it on, both from the train split."""
        if any(not isinstance(n, int) or n < 1 for n in sizes) or sum(sizes) > len(self):
            raise ValueError(f"sizes must be positive integers summing to at most {len(self)}, got {list(sizes)}.")
        drawn = np.random.default_rng(seed).choice(len(self), size=sum(sizes), replace=False)
        return [self._take(np.sort(index)) for index in np.split(drawn, np.cumsum(sizes)[:-1])]

    def where(self, factor: str, value: int) -> ImageSet:
        """The examples whose true factor ``factor`` equals ``value`` (for data sets that record factors)."""
        if self.factors is None or factor not in self.factors:
            known = ", ".join(sorted(self.factors or {})) or "none: this data set records no factors"
            raise ValueError(f"factor must be one of the data set's factors ({known}), got {factor!r}.")
        index = np.flatnonzero(self.factors[factor] == value)
        if len(index) == 0:
            raise ValueError(f"value must be taken by factor {factor!r} in this data set, got {value!r}.")
        return self._take(index)

    def _take(self, index: np.ndarray) -> ImageSet:
        factors = None if self.factors is None else {k: v[index] for k, v in self.factors.items()}
        return ImageSet(self.images[index], self.labels[index], factors)


def to_tensor(images: np.ndarray, device: torch.device | str = "cpu", channels_last: bool = False) -> torch.Tensor:
    """Images as stored (an NHWC uint8 array, N x H x W x C) to what the models read (an NCHW uint8 tensor) on
    ``device``: contiguous, or in channels_last memory order (the array's own, so no copy), which keeps a training
    batch in the layout the models' convolutions run in."""
    tensor = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2)
    return tensor.contiguous(memory_format=torch.channels_last if channels_last else torch.contiguous_format).to(device)


#: The images every data set here holds, height x width x channels.
IMAGE_SHAPE = (32, 32, 3)


def checked(images: np.ndarray, labels: np.ndarray, source: str | os.PathLike, labels_from: int = 0) -> ImageSet:
    """Images (N, 32, 32, 3) and their N labels as read from ``source``, checked before they are used or cached:
    pixel values whole numbers in 0-255, labels whole numbers in ``labels_from`` .. ``labels_from + 9``. Returns
    uint8 images and int64 labels.

    Raises:
        BadDataError: naming ``source`` and the first thing that is wrong.
    """
    images, labels = np.asarray(images), np.asarray(labels).reshape(-1)
    last = labels_from + 9
    problem = None
    if images.ndim != 4 or images.shape[1:] != IMAGE_SHAPE:
        problem = f"its images have shape {images.shape}, not N x {' x '.join(map(str, IMAGE_SHAPE))}"
    elif len(labels) != len(images):
        problem = f"it holds {len(images)} images and {len(labels)} labels"
    elif not np.issubdtype(images.dtype, np.integer):
        problem = f"its pixels are {images.dtype} values, not whole numbers in 0-255"
    elif images.dtype != np.uint8 and images.size and (images.min() < 0 or images.max() > 255):
        problem = f"its pixel values run from {images.min()} to {images.max()}, outside 0-255"
    elif labels.size and not (np.isfinite(labels).all() and np.array_equal(labels, np.round(labels))):
        problem = f"its labels include values that are not whole numbers ({labels[labels != np.round(labels)][:3]})"
    elif labels.size and (labels.min() < labels_from or labels.max() > last):
        problem = f"its labels run from {labels.min():g} to {labels.max():g}, outside {labels_from}-{last}"
    if problem:
        raise BadDataError(f"{source} cannot be used: {problem}.")
    return ImageSet(np.ascontiguousarray(images, dtype=np.uint8), labels.astype(np.int64))


def data_root(root: str | os.PathLike | None = None) -> Path:
    """Where data sets are cached: ``root``, else ``$AUXLIB_DATA``, else ``~/.cache/auxlib/data``."""
    return configured_folder(root, "AUXLIB_DATA", CACHE / "data")


def cache_path(name: str, split: str, root: str | os.PathLike | None = None) -> Path:
    """The cache file of one split: ``<root>/<name>/<split>.npz``."""
    return data_root(root) / name / f"{split}.npz"


def load(name: str, split: str = "train", root: str | os.PathLike | None = None) -> ImageSet:
    """Load a split of a data set (``cifar10``, ``svhn`` or ``synth-svhn``), converting it into the cache first
    if needed."""
    if name not in DATASETS:
        raise ValueError(f"name must be one of {', '.join(DATASETS)}, got {name!r}.")
    if split not in SPLITS[name]:
        raise ValueError(f"split must be one of {', '.join(SPLITS[name])} for {name}, got {split!r}.")
    path = cache_path(name, split, root)
    if not path.exists():
        save(_FETCHERS[name](split, data_root(root) / name), path)
    with np.load(path) as npz:
        factors = {k[len("factor_"):]: npz[k] for k in npz.files if k.startswith("factor_")}
        try:
            found = checked(npz["images"], npz["labels"], path)
        except BadDataError as error:
            raise BadDataError(f"{error} Delete it and it is built again.") from None
        return ImageSet(found.images, found.labels, factors or None)


def load_training(name: str, extra: bool = False, root: str | os.PathLike | None = None) -> ImageSet:
    """The images a model trains on: the train split, followed by the extra split when ``extra`` (SVHN's 531,131
    extra digits, which the paper adds)."""
    train = load(name, "train", root)
    if not extra:
        return train
    more = load(name, "extra", root)
    factors = None if train.factors is None or more.factors is None else {
        k: np.concatenate([v, more.factors[k]]) for k, v in train.factors.items()}
    return ImageSet(np.concatenate([train.images, more.images]), np.concatenate([train.labels, more.labels]),
                    factors)


def save(data: ImageSet, path: Path) -> None:
    """Write an ImageSet to ``path`` atomically: a reader never sees a half-written file."""
    arrays = {"images": data.images, "labels": data.labels}
    arrays.update({f"factor_{k}": v for k, v in (data.factors or {}).items()})
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, **arrays)  # type: ignore[arg-type]  # numpy's stub types the first keyword only


def _torchvision_error(name: str, folder: Path, error: Exception, how: str) -> DataNotFoundError:
    return DataNotFoundError(
        f"{name} is not in {folder} and the download through torchvision failed ({type(error).__name__}: "
        f"{error}). Provide it by {how}, or point AUXLIB_DATA (or root=) at a folder that holds {name}/<split>.npz.")


def _fetch_cifar10(split: str, folder: Path) -> ImageSet:
    from torchvision.datasets import CIFAR10

    try:
        ds = CIFAR10(str(folder / "torchvision"), train=split == "train", download=True)
    except Exception as error:  # torchvision raises URLError, RuntimeError... when offline
        raise _torchvision_error("cifar10", folder, error,
                                 "connecting to the internet, or importing an ImageFolder copy with "
                                 "`python -m auxlib import-data PATH --name cifar10`") from error
    return checked(ds.data, ds.targets, folder / "torchvision")


#: Where SVHN's files come from (the Stanford Street View House Numbers page).
SVHN_URL = "http://ufldl.stanford.edu/housenumbers/"


def read_svhn_mat(path: str | os.PathLike) -> ImageSet:
    """One of SVHN's ``<split>_32x32.mat`` files: ``X`` a 32 x 32 x 3 x N uint8 array, ``y`` N x 1 labels in
    1..10, where 10 stands for the digit 0. Returns NHWC images and labels 0-9. Raises DataNotFoundError naming
    the file when it cannot be read as one (a truncated download, say), and BadDataError when its values are
    not what the format promises (:func:`checked`)."""
    from scipy.io import loadmat

    path = Path(path)
    try:
        content = loadmat(path)
        images, labels = np.asarray(content["X"]), np.asarray(content["y"])
    except Exception as error:  # scipy raises ValueError, OSError, MatReadError... for damaged files
        raise DataNotFoundError(f"{path} is not a readable SVHN file ({type(error).__name__}: {error}); download it "
                                f"again from {SVHN_URL}.") from error
    if images.ndim != 4:
        raise BadDataError(f"{path} cannot be used: its X has shape {images.shape}, not 32 x 32 x 3 x N.")
    found = checked(images.transpose(3, 0, 1, 2), labels, path, labels_from=1)
    return ImageSet(found.images, found.labels % 10)


def _fetch_svhn(split: str, folder: Path) -> ImageSet:
    """SVHN's ``<split>_32x32.mat`` from ``folder`` (``<data root>/svhn``), downloaded there through torchvision
    (which checks its checksum) when it is not there yet."""
    path = folder / f"{split}_32x32.mat"
    if not path.exists():
        from torchvision.datasets import SVHN

        try:
            SVHN(str(folder), split=split, download=True)
        except Exception as error:  # torchvision raises URLError, RuntimeError... when offline
            raise DataNotFoundError(
                f"svhn is not in {folder} ({path.name}) and the download through torchvision failed "
                f"({type(error).__name__}: {error}). Put SVHN's {', '.join(f'{s}_32x32.mat' for s in SPLITS['svhn'])} "
                f"from {SVHN_URL} in {folder}, or run the chapters on the offline stand-in with "
                "`-p dataset synth-svhn`.") from error
    return read_svhn_mat(path)


def _fetch_synth_svhn(split: str, folder: Path) -> ImageSet:
    from . import synth_svhn

    images, labels, factors = synth_svhn.generate_split(split, progress=True)
    return ImageSet(images, labels, factors)


_FETCHERS = {"cifar10": _fetch_cifar10, "svhn": _fetch_svhn, "synth-svhn": _fetch_synth_svhn}


def read_image_folder(path: str | os.PathLike, classes: tuple[str, ...] | None = None) -> ImageSet:
    """Decode an ImageFolder tree (one sub-folder per class) into arrays.

    ``classes`` fixes the label of each class name (CIFAR-10's official order, say); by default the
    alphabetical order of the sub-folders, as torchvision's ImageFolder does.
    """
    from PIL import Image
    from torchvision.datasets import ImageFolder

    folder = ImageFolder(str(path))
    if classes is not None:
        missing = set(folder.classes) - set(classes)
        if missing:
            raise ValueError(f"path {path} has class folders {sorted(missing)} that are not among {list(classes)}.")
        relabel = {folder.class_to_idx[c]: classes.index(c) for c in folder.classes}
    else:
        relabel = {i: i for i in range(len(folder.classes))}
    images = []
    for file, _ in tqdm(folder.samples, desc=f"decode {Path(path).name}", unit="img", mininterval=5):
        images.append(np.asarray(Image.open(file).convert("RGB"), dtype=np.uint8))
        if images[-1].shape != IMAGE_SHAPE:
            raise BadDataError(f"{file} cannot be used: it is {images[-1].shape[1]} x {images[-1].shape[0]} "
                               f"pixels, not {IMAGE_SHAPE[1]} x {IMAGE_SHAPE[0]}.")
    return checked(np.stack(images), np.array([relabel[c] for _, c in folder.samples]), path)


#: Written into ``<root>/<name>/`` once every split of an import is in the cache: an import without it is
#: half done, and the next one does it again.
IMPORTED = "imported.json"


def import_image_folder(path: str | os.PathLike, name: str, root: str | os.PathLike | None = None) -> list[Path]:
    """Import an ImageFolder copy of a data set (``PATH/<split>/<class>/*.jpg``) or a ``.tar.gz`` of one into
    the cache, whole or not at all: each split is written atomically and :data:`IMPORTED` last, and an archive
    is extracted into a scratch folder that a later import removes if its process died. Returns the cache files
    written. Raises DataNotFoundError when ``path`` holds none of the data set's split folders."""
    if name not in DATASETS:
        raise ValueError(f"name must be one of {', '.join(DATASETS)}, got {name!r}.")
    path = Path(path)
    if path.is_file() and path.name.endswith((".tar.gz", ".tgz", ".tar")):
        with tempfile.TemporaryDirectory(dir=scratch_parent(data_root(root)), prefix=f"{SCRATCH}{os.getpid()}-") as tmp:
            with tarfile.open(path) as tar:
                tar.extractall(tmp, filter="data")
            return import_image_folder(_tree_root(Path(tmp), name), name, root)
    splits = [s for s in SPLITS[name] if (path / s).is_dir()]
    if not splits:
        raise DataNotFoundError(f"path {path} has none of the split folders {', '.join(SPLITS[name])}.")
    classes = CIFAR10_CLASSES if name == "cifar10" else None
    written = []
    for split in splits:
        target = cache_path(name, split, root)
        save(read_image_folder(path / split, classes), target)
        written.append(target)
    with atomic_path(data_root(root) / name / IMPORTED) as tmp:
        tmp.write_text(json.dumps({"splits": splits}))
    return written


def imported(name: str, root: str | os.PathLike | None = None) -> list[Path]:
    """The cache files of the last whole import of data set ``name`` (:func:`import_image_folder`); empty when
    there was none, or when one of its files is gone."""
    marker = data_root(root) / name / IMPORTED
    if not marker.exists():
        return []
    files = [cache_path(name, s, root) for s in json.loads(marker.read_text())["splits"]]
    return files if all(f.exists() for f in files) else []


def _tree_root(folder: Path, name: str) -> Path:
    """The folder holding the split folders inside an extracted archive (it may be nested one level)."""
    if any((folder / s).is_dir() for s in SPLITS[name]):
        return folder
    children = [c for c in folder.iterdir() if c.is_dir()]
    return children[0] if len(children) == 1 else folder
