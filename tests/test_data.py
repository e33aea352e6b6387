import tarfile

import numpy as np
import pytest
from PIL import Image

from auxlib import data
from tests.conftest import require_dataset, write_svhn


def write_image_folder(root, split_sizes, classes=("cat", "airplane", "dog")):
    """A tiny ImageFolder tree of PNG files with known pixels; returns {split: (images, class names)}."""
    rng = np.random.default_rng(0)
    made = {}
    for split, n in split_sizes.items():
        images, names = [], []
        for i in range(n):
            name = classes[i % len(classes)]
            img = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
            (root / split / name).mkdir(parents=True, exist_ok=True)
            Image.fromarray(img).save(root / split / name / f"{i:04d}.png")
            images.append(img)
            names.append(name)
        made[split] = (images, names)
    return made


def test_cache_round_trip_with_factors(tmp_path):
    original = data.ImageSet(np.zeros((3, 32, 32, 3), np.uint8), np.array([1, 2, 3]),
                             {"font": np.array([0, 1, 2]), "fg": np.ones((3, 3))})
    path = data.cache_path("synth-svhn", "test", tmp_path)
    data.save(original, path)
    loaded = data.load("synth-svhn", "test", root=tmp_path)
    assert np.array_equal(loaded.images, original.images) and loaded.labels.dtype == np.int64
    assert set(loaded.factors) == {"font", "fg"} and np.array_equal(loaded.factors["fg"], original.factors["fg"])
    assert [p.name for p in path.parent.iterdir()] == ["test.npz"]


def test_training_images_are_train_then_extra_when_asked(tmp_path):
    def split(n, first):
        return data.ImageSet(np.full((n, 32, 32, 3), first, np.uint8), np.arange(n) % 10, {"font": np.full(n, first)})

    data.save(split(5, 1), data.cache_path("synth-svhn", "train", tmp_path))
    data.save(split(3, 2), data.cache_path("synth-svhn", "extra", tmp_path))
    assert len(data.load_training("synth-svhn", root=tmp_path)) == 5
    both = data.load_training("synth-svhn", extra=True, root=tmp_path)
    assert both.images[:, 0, 0, 0].tolist() == [1] * 5 + [2] * 3
    assert both.labels.tolist() == [0, 1, 2, 3, 4, 0, 1, 2] and both.factors["font"].tolist() == [1] * 5 + [2] * 3


def test_failed_write_leaves_nothing_behind(tmp_path, monkeypatch):
    def crash_midway(f, **arrays):
        f.write(b"half an npz")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", crash_midway)
    path = tmp_path / "cifar10" / "train.npz"
    with pytest.raises(KeyboardInterrupt):
        data.save(data.ImageSet(np.zeros((2, 4, 4, 3), np.uint8), np.array([0, 1])), path)
    assert list(path.parent.iterdir()) == []


def test_import_image_folder_uses_cifar10_label_order(tmp_path):
    made = write_image_folder(tmp_path / "tree", {"train": 6, "test": 3})
    written = data.import_image_folder(tmp_path / "tree", "cifar10", root=tmp_path / "cache")
    assert sorted(p.name for p in written) == ["test.npz", "train.npz"]
    train = data.load("cifar10", "train", root=tmp_path / "cache")
    assert train.images.shape == (6, 32, 32, 3) and train.images.dtype == np.uint8
    # ImageFolder sorts classes; labels must follow CIFAR-10's official order instead.
    for img, label in zip(train.images, train.labels):
        match = [i for i, ref in enumerate(made["train"][0]) if np.array_equal(ref, img)]
        assert len(match) == 1
        assert data.CIFAR10_CLASSES[label] == made["train"][1][match[0]]


def test_import_from_tar_gz(tmp_path):
    write_image_folder(tmp_path / "tree" / "cifar10-images", {"test": 4})
    archive = tmp_path / "c.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "tree" / "cifar10-images", arcname="cifar10-images")
    data.import_image_folder(archive, "cifar10", root=tmp_path / "cache")
    assert len(data.load("cifar10", "test", root=tmp_path / "cache")) == 4
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["cifar10"]  # scratch folder removed


def test_missing_data_offline_names_folder_and_options(tmp_path, monkeypatch):
    import torchvision.datasets

    def offline(*args, **kwargs):
        raise RuntimeError("<urlopen error [Errno -3] Temporary failure in name resolution>")

    monkeypatch.setattr(torchvision.datasets, "CIFAR10", offline)
    monkeypatch.setattr(torchvision.datasets, "SVHN", offline)
    with pytest.raises(data.DataNotFoundError) as info:
        data.load("cifar10", "train", root=tmp_path)
    message = str(info.value)
    assert str(tmp_path / "cifar10") in message and "download" in message and "python -m auxlib import-data" in message
    with pytest.raises(data.DataNotFoundError) as info:
        data.load("svhn", "test", root=tmp_path)
    message = str(info.value)
    assert str(tmp_path / "svhn") in message and "test_32x32.mat" in message and data.SVHN_URL in message
    assert "-p dataset synth-svhn" in message
    assert not any(tmp_path.rglob("*.npz"))


def test_bad_names_and_splits(tmp_path):
    with pytest.raises(ValueError, match="name must be one of"):
        data.load("mnist", root=tmp_path)
    with pytest.raises(ValueError, match="split must be one of train, test for cifar10"):
        data.load("cifar10", "extra", root=tmp_path)


def test_data_root_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("AUXLIB_DATA", str(tmp_path))
    assert data.cache_path("svhn", "train") == tmp_path / "svhn" / "train.npz"
    assert data.data_root("/elsewhere") == data.Path("/elsewhere")


def test_subset_is_random_but_reproducible():
    full = data.ImageSet(np.zeros((100, 1, 1, 3), np.uint8), np.repeat(np.arange(10), 10))
    a, b = full.subset(20), full.subset(20)
    assert np.array_equal(a.labels, b.labels) and len(set(a.labels)) > 3
    assert full.subset(None) is full and len(full.subset(500)) == 100


def test_real_cifar10_shapes_and_labels():
    require_dataset("cifar10", "train")
    require_dataset("cifar10", "test")
    test = data.load("cifar10", "test")
    assert test.images.shape == (10000, 32, 32, 3) and test.images.dtype == np.uint8
    assert np.array_equal(np.bincount(test.labels), np.full(10, 1000))
    assert len(data.load("cifar10", "train")) == 50000


def test_synth_svhn_is_generated_once_then_read_from_the_cache(tmp_path, monkeypatch):
    from auxlib import synth_svhn

    monkeypatch.setitem(synth_svhn.SPLIT_SIZES, "test", 300)
    first = data.load("synth-svhn", "test", root=tmp_path)
    assert first.images.shape == (300, 32, 32, 3) and first.factors["fg_color"].shape == (300, 3)
    assert set(first.factors) == set(synth_svhn.GLOBAL_FACTORS) | set(synth_svhn.LOCAL_FACTORS)
    assert np.array_equal(first.labels, first.factors["label"])

    def no_generation(*args, **kwargs):
        raise AssertionError("the cached split was generated again")

    monkeypatch.setattr(synth_svhn, "generate_split", no_generation)
    again = data.load("synth-svhn", "test", root=tmp_path)
    assert np.array_equal(again.images, first.images)
    assert all(np.array_equal(again.factors[k], first.factors[k]) for k in first.factors)


def test_command_line_import_is_idempotent(tmp_path, capsys):
    from auxlib.__main__ import main

    write_image_folder(tmp_path / "tree", {"test": 3})
    main(["import-data", str(tmp_path / "tree"), "--name", "cifar10", "--root", str(tmp_path / "cache")])
    assert "wrote" in capsys.readouterr().out
    main(["import-data", str(tmp_path / "tree"), "--name", "cifar10", "--root", str(tmp_path / "cache")])
    assert "already in" in capsys.readouterr().out


def test_an_import_killed_halfway_is_done_again_by_the_next_and_leaves_no_debris(tmp_path, monkeypatch, capsys):
    import subprocess
    import sys
    import tarfile

    from auxlib.__main__ import main
    write_image_folder(tmp_path / "tree", {"train": 6, "test": 3})
    with tarfile.open(tmp_path / "tree.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "tree", arcname="cifar")
    cache, command = tmp_path / "cache", ["import-data", str(tmp_path / "tree.tar.gz"), "--name", "cifar10"]
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (cache / f".import-{int(dead.stdout)}-x1y2" / "cifar").mkdir(parents=True)  # a killed import's scratch folder
    real_save = data.save

    def killed_after_the_first_split(images, path):
        real_save(images, path)
        raise KeyboardInterrupt  # as a kill would stop it, between two splits

    monkeypatch.setattr(data, "save", killed_after_the_first_split)
    with pytest.raises(KeyboardInterrupt):
        main([*command, "--root", str(cache)])
    assert sorted(p.name for p in (cache / "cifar10").iterdir()) == ["train.npz"]  # test.npz never came
    assert data.imported("cifar10", cache) == []
    monkeypatch.setattr(data, "save", real_save)
    main([*command, "--root", str(cache)])
    assert "wrote" in capsys.readouterr().out
    assert sorted(p.name for p in data.imported("cifar10", cache)) == ["test.npz", "train.npz"]
    assert sorted(p.name for p in cache.iterdir()) == ["cifar10"]  # no scratch folder left, the dead one removed
    main([*command, "--root", str(cache)])
    assert "already in" in capsys.readouterr().out


def test_subsets_are_disjoint_and_the_first_matches_subset():
    images = data.ImageSet(np.zeros((50, 2, 2, 3), np.uint8), np.arange(50), {"f": np.arange(50) * 2})
    a, b = images.subsets([10, 15], seed=3)
    assert len(a) == 10 and len(b) == 15 and not set(a.labels) & set(b.labels)
    assert np.array_equal(a.factors["f"], a.labels * 2) and np.all(np.diff(b.labels) > 0)
    assert np.array_equal(images.subset(10, seed=3).labels, images.subsets([10], seed=3)[0].labels)
    with pytest.raises(ValueError, match="sizes"):
        images.subsets([40, 20])


def marked_images(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Images whose top-left pixel is red and bottom-right blue (so a flipped or transposed read shows), with
    labels 0-9 in turn (so the label 10 of the digit 0 occurs)."""
    images = np.zeros((n, 32, 32, 3), dtype=np.uint8)
    images[:, 0, 0, 0] = 255
    images[:, 31, 31, 2] = 200
    images[:, 5, :, 1] = np.arange(n)[:, None] % 256  # each image its own row of green
    return images, np.arange(n) % 10


def test_svhn_files_are_read_with_their_orientation_and_10_as_0(tmp_path):
    images, labels = marked_images(30)
    for split, n in (("train", 30), ("test", 20), ("extra", 10)):
        write_svhn(tmp_path / "svhn", split, images[:n], labels[:n])
    train = data.load("svhn", "train", root=tmp_path)
    assert train.images.shape == (30, 32, 32, 3) and train.images.dtype == np.uint8
    assert np.array_equal(train.images, images) and np.array_equal(train.labels, labels)
    assert train.labels.dtype == np.int64 and 0 in train.labels and train.labels.max() == 9
    assert len(data.load_training("svhn", extra=True, root=tmp_path)) == 40
    assert data.cache_path("svhn", "train", tmp_path).exists()
    (tmp_path / "svhn" / "train_32x32.mat").unlink()  # later loads read the cache alone
    assert np.array_equal(data.load("svhn", "train", root=tmp_path).images, images)


def test_a_truncated_svhn_file_gives_one_error_naming_it(tmp_path):
    images, labels = marked_images(40)
    write_svhn(tmp_path / "svhn", "test", images, labels)
    path = tmp_path / "svhn" / "test_32x32.mat"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(data.DataNotFoundError, match=rf"{path} is not a readable SVHN file .* download it again"):
        data.load("svhn", "test", root=tmp_path)
    assert not data.cache_path("svhn", "test", tmp_path).exists()


@pytest.mark.parametrize("x, y, problem", [
    (lambda im: im.astype(np.float64) / 255, None, "its pixels are float64 values, not whole numbers in 0-255"),
    (lambda im: np.where(im == 255, 256, im.astype(np.int16)), None, "its pixel values run from 0 to 256, outside"),
    (lambda im: im.astype(np.int16) - 1, None, "its pixel values run from -1 to 254, outside 0-255"),
    (None, lambda y: np.where(y == 3, 11, y), "its labels run from 1 to 11, outside 1-10"),
    (None, lambda y: np.where(y == 3, np.nan, y.astype(float)), "its labels include values that are not whole"),
    (None, lambda y: y[:-1], "it holds 20 images and 19 labels"),
    (lambda im: im[..., :1], None, "its images have shape \\(20, 32, 32, 1\\), not N x 32 x 32 x 3")])
def test_an_svhn_file_with_values_outside_its_format_is_refused_by_name_and_never_cached(tmp_path, x, y, problem):
    from scipy.io import savemat
    images, labels = marked_images(20)
    stored_x, stored_y = images.transpose(1, 2, 3, 0), np.where(labels == 0, 10, labels).astype(np.uint8)
    if x is not None:
        stored_x = x(images).transpose(1, 2, 3, 0)
    if y is not None:
        stored_y = y(stored_y)
    (tmp_path / "svhn").mkdir()
    path = tmp_path / "svhn" / "test_32x32.mat"
    savemat(path, {"X": np.ascontiguousarray(stored_x), "y": stored_y[:, None]})
    with pytest.raises(data.BadDataError, match=f"^{path} cannot be used: {problem}"):
        data.load("svhn", "test", root=tmp_path)
    assert not data.cache_path("svhn", "test", tmp_path).exists()


def test_image_folders_and_cache_files_that_break_their_format_are_refused_by_name(tmp_path):
    write_image_folder(tmp_path / "tree", {"test": 3})
    small = tmp_path / "tree" / "test" / "cat" / "small.png"
    Image.fromarray(np.zeros((28, 30, 3), np.uint8)).save(small)
    with pytest.raises(data.BadDataError, match=f"^{small} cannot be used: it is 30 x 28 pixels, not 32 x 32."):
        data.import_image_folder(tmp_path / "tree", "cifar10", root=tmp_path / "cache")
    assert not data.cache_path("cifar10", "test", tmp_path / "cache").exists()
    cached = data.cache_path("cifar10", "test", tmp_path)
    data.save(data.ImageSet(np.zeros((4, 32, 32, 3), np.uint8), np.array([0, 1, 2, 12])), cached)
    with pytest.raises(data.BadDataError, match=f"^{cached} cannot be used: its labels run from 0 to 12, outside "
                                                "0-9. Delete it and it is built again.$"):
        data.load("cifar10", "test", root=tmp_path)
