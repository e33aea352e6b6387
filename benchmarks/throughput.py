"""Training throughput (images/s) of auxlib's step against a naive eager PyTorch port of the same network and,
given their code, against the authors' own TensorFlow 2 step.

    python benchmarks/throughput.py [--arch compact|split] [--model auxvae|auxgmvae] [--device cpu|cuda]
                                    [--repeats 5] [--steps 20] [--threads 2] [--compile] [--profile]
                                    [--split-checkout PATH --tf-python PATH]

The network: ``--arch compact``, the method chapter's AuxVAE at the standard profile; ``--arch split``, the
paper's networks at the ``paper`` profile, the AuxVAE of Experiment 1 or (``--model auxgmvae``) the clustering
network of Experiment 2.

(a) naive port: the same network in the default (NCHW) memory layout, the likelihood composed of autograd ops,
    torch's default Adam, fp32; batches drawn from the in-memory uint8 tensor as auxlib does;
(b) auxlib: ``auxlib.train``'s step in fp32 (channels_last data and weights, fused likelihood, fused Adam);
(b16) the same with bf16 autocast (``precision="bf16"``); ``precision="auto"`` trains (b16) where a GPU has bf16 or
    a step measured faster in bf16 on the CPU (:func:`auxlib.devices.uses_bf16`), else (b): "out of the box";
(c) the naive step fed by a torch DataLoader whose Dataset converts and shuffles one image at a time;
(bc) with ``--compile``: (b) through ``torch.compile``, after a warm-up whose time is printed;
(s) with ``--split-checkout`` (a checkout of 51616/split-vae) and ``--tf-python`` (a Python with TensorFlow; both
    also from $AUXLIB_SPLIT_CHECKOUT and $AUXLIB_TF_PYTHON, which the compact network and a GPU ignore) and
    ``--arch split``: [SPLIT]'s own step on the same network, its input pipeline included
    (``benchmarks/split_tf2.py``, in a process of its own).
They run interleaved, ``--repeats`` times, so that drifts of the machine hit them alike; the script prints the
median throughput of each and the ratios to (a) with their range over the repeats, and writes them to
``<results>/throughput_<arch>[-auxgmvae]_<device>.json`` (``--no-save`` to skip), which the results page shows.
Beside them it prints the machine's measured matrix-multiply peak (fp32 and bf16, ``torch.mm``, the best over
n = 1,024-4,096), each step's achieved GFLOP/s as a share of the peak of the precision it runs in (the FLOPs of
:func:`auxlib.compute.flops_per_image`: products only, so the share is a lower bound), and the share of a run's
time that its training-time scores (:mod:`auxlib.monitor`) take at the standard profile, at the speed of the step
``precision="auto"`` trains. ``--profile`` also prints where (b) and (b16) spend their time, by operator
(``torch.profiler``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms.functional import to_tensor

import auxlib
from auxlib import compute, data, devices, likelihoods, models, monitor, results, train
from auxlib.model.transforms import patch_shuffle

#: Each timed step: its title (the printout's and the results file's key) and the precision whose measured
#: matrix-multiply peak its achieved FLOP/s are set against.
STEPS: dict[str, tuple[str, str]] = {
    "a": ("(a) naive eager port", "fp32"), "b": ("(b) auxlib step, fp32", "fp32"),
    "b16": ("(b16) auxlib step, bf16 autocast", "bf16"), "c": ("(c) naive port + DataLoader", "fp32"),
    "bc": ("(bc) auxlib step, torch.compile", "fp32"), "s": ("(s) [SPLIT]'s TF2 step, fp32", "fp32")}


class NaiveDataset(Dataset):
    """Per-image work, as a first PyTorch port would do it: HWC uint8 -> CHW float, shuffle one image."""

    def __init__(self, images: np.ndarray, patch_size: int):
        self.images, self.patch_size = images, patch_size

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int):
        x = to_tensor(self.images[i])
        return x, patch_shuffle(x[None], self.patch_size)[0]


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work, so that a clock reading counts it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(step, n: int, batch: int, device: torch.device) -> float:
    step()  # warm-up: first calls allocate
    synchronize(device)
    start = time.perf_counter()
    for _ in range(n):
        step()
    synchronize(device)
    return n * batch / (time.perf_counter() - start)


def naive_model(config) -> torch.nn.Module:
    """The network as a direct port builds it: NCHW, the likelihood as plain autograd ops."""
    model = models.build(config)
    model.likelihood = likelihoods.DiscretisedLogistic(fused=False)
    return model


def matmul_peak(dtype: torch.dtype, device: torch.device, sizes: tuple[int, ...] = (1024, 2048, 4096),
                repeats: int = 8) -> float:
    """The machine's matrix-multiply peak in ``dtype``, as GFLOP/s (2 n^3 FLOPs per n x n product): the best of
    ``repeats`` timed products at each size of ``sizes``. One size alone moved by half between runs on a CPU whose
    clock and caches favour some sizes; the best over several is the steadier bound."""
    best = 0.0
    for n in sizes:
        a, b = (torch.randn(n, n, device=device).to(dtype) for _ in range(2))
        torch.mm(a, b)
        for _ in range(repeats):
            synchronize(device)
            start = time.perf_counter()
            torch.mm(a, b)
            synchronize(device)
            best = max(best, 2 * n**3 / (time.perf_counter() - start) / 1e9)
    return best


class SplitStep:
    """[SPLIT]'s TF2 training step in a process of its own (``benchmarks/split_tf2.py``), timed on request."""

    def __init__(self, tf_python: str, checkout: str, network: str, images: np.ndarray, threads: int,
                 batch_size: int, patch_size: int):
        self._file = tempfile.NamedTemporaryFile(suffix=".npy")
        np.save(self._file, images)
        self._file.flush()
        script = Path(__file__).with_name("split_tf2.py")
        self.process = subprocess.Popen(
            [tf_python, str(script), "--checkout", checkout, "--network", network, "--images", self._file.name,
             "--threads", str(threads), "--batch-size", str(batch_size), "--patch-size", str(patch_size)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""})
        assert self.process.stdin is not None and self.process.stdout is not None
        self.stdin, self.stdout = self.process.stdin, self.process.stdout
        line = self.stdout.readline().strip()
        if line != "ready":
            raise SystemExit(f"[SPLIT]'s step did not start (benchmarks/split_tf2.py said {line!r}).")

    def rate(self, n: int) -> float:
        """Images/s over n steps, after n untimed ones: their input pipeline fills its prefetch buffer while it
        waits, and the untimed steps drain it, so that the timed ones pay for their input as training does."""
        self.stdin.write(f"{n}\n{n}\n")
        self.stdin.flush()
        self.stdout.readline()
        return float(self.stdout.readline())

    def close(self) -> None:
        self.stdin.close()
        self.process.wait()
        self._file.close()


def score_share(model: torch.nn.Module, chapter: str, dataset: str, step_seconds: float,
                device: torch.device, bf16: bool) -> tuple[float, str]:
    """The share of a run's time that its training-time scores take at the standard profile of ``chapter`` (one
    score of ``score_images`` images every ``score_every`` steps of ``step_seconds``), with the setting in words.
    The monitor is :mod:`auxlib.monitor`'s for the model, in bf16 autocast when ``bf16``; the judge is the run
    config's own (untrained: reading the decodes costs the same)."""
    config = auxlib.experiment(chapter, "standard", dataset=dataset)
    tc = config.train
    judge = models.build(config.judge.model).to(device).eval() if config.judge else None
    score = monitor.for_model(model, data.load(dataset, "train"), tc.score_images, device, judge, bf16)
    if score is None:
        return 0.0, "none"
    score(model)  # first calls allocate
    start = time.perf_counter()
    score(model)
    seconds = time.perf_counter() - start
    setting = f"{tc.score_images:,} images every {tc.score_every} steps"
    return seconds / (seconds + tc.score_every * step_seconds), setting


def profile_step(step, n: int, title: str, rows: int = 15) -> None:
    """Print where ``n`` calls of ``step`` spend their time, by operator, most self time first."""
    from torch.profiler import ProfilerActivity, profile

    step()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(n):
            step()
    print(f"\n{title}: where {n} steps spend their time (self CPU time, by operator)")
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", default="compact", choices=auxlib.config.ARCHS)
    parser.add_argument("--model", default="auxvae", choices=["auxvae", "auxgmvae"],
                        help="with --arch split: the paper's Experiment 1 network or its clustering network")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20, help="timed steps per measurement")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--dataset", default="cifar10")
    parser.add_argument("--compile", action="store_true", help="also time (b) through torch.compile")
    parser.add_argument("--profile", action="store_true", help="also print where (b) and (b16) spend their time")
    parser.add_argument("--split-checkout", help="a checkout of 51616/split-vae, to time the authors' step too")
    parser.add_argument("--tf-python", help="a Python interpreter with TensorFlow, to run the authors' step")
    parser.add_argument("--no-save", action="store_true", help="print only; do not write the results file")
    args = parser.parse_args()
    if args.model == "auxgmvae" and args.arch != "split":
        parser.error("--model auxgmvae needs --arch split: the clustering network is the paper's.")
    if bool(args.split_checkout) != bool(args.tf_python):
        parser.error("--split-checkout and --tf-python go together: the authors' code and a Python to run it.")
    paper_network_on_cpu = args.arch == "split" and args.device == "cpu"
    if args.split_checkout and not paper_network_on_cpu:
        parser.error("[SPLIT]'s step is timed beside the paper's networks on the CPU: --arch split, --device cpu.")
    if not args.split_checkout and paper_network_on_cpu:  # set in the environment, e.g. for `make benchmark`
        args.split_checkout, args.tf_python = (os.environ.get(v) for v in ("AUXLIB_SPLIT_CHECKOUT", "AUXLIB_TF_PYTHON"))
    split = bool(args.split_checkout and args.tf_python)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)

    # compact: the method chapter's network at the standard profile; split: the paper profile's, 128 + 128 latents
    profile = "paper" if args.arch == "split" else "standard"
    chapter = "exp2" if args.model == "auxgmvae" else "method"
    cfg = auxlib.experiment(chapter, profile, dataset=args.dataset, arch=args.arch, batch_size=args.batch_size)
    images = data.load(args.dataset, "train").subset(10_000).images
    b = cfg.train.batch_size
    tensor = data.to_tensor(images, device)
    tensor_cl = data.to_tensor(images, device, channels_last=True)  # how auxlib.train holds the data set
    labels = torch.zeros(len(tensor), dtype=torch.long, device=device)
    sampler = train.BatchSampler(len(tensor), b, seed=0)
    counter = iter(range(10**9))

    torch.manual_seed(0)
    naive = naive_model(cfg.model).to(device)
    naive_opt = torch.optim.Adam(naive.parameters(), lr=cfg.train.lr)

    def naive_step(x: torch.Tensor, x_hat: torch.Tensor | None = None) -> None:
        loss = naive.loss(x, x_hat=x_hat)["loss"]
        naive_opt.zero_grad(set_to_none=True)
        loss.backward()
        naive_opt.step()

    def auxlib_step(precision: str, compiled: bool = False):
        torch.manual_seed(0)
        model = models.build(cfg.model).to(device, memory_format=torch.channels_last)
        objective = train.Objective(model)
        objective = torch.compile(objective) if compiled else objective
        optimiser = train.make_optimiser(model, cfg.train.lr)
        generator = torch.Generator(device).manual_seed(0)
        bf16 = devices.uses_bf16(precision, device)
        return lambda: train.train_step(objective, optimiser, tensor_cl, labels, sampler(next(counter)), generator,
                                        bf16)

    loader = DataLoader(NaiveDataset(images, cfg.model.patch_size), batch_size=b, shuffle=True, drop_last=True)
    batches = iter(loader)

    def dataloader_step():
        nonlocal batches
        try:
            x, x_hat = next(batches)
        except StopIteration:
            batches = iter(loader)
            x, x_hat = next(batches)
        naive_step(x.to(device), x_hat.to(device))

    steps = {"a": lambda: naive_step(tensor[sampler(next(counter)).to(device)]), "b": auxlib_step("fp32"),
             "b16": auxlib_step("bf16"), "c": dataloader_step}
    if args.profile:
        for name in ("b", "b16"):
            profile_step(steps[name], args.steps, STEPS[name][0])
    rates = {name: (lambda n, step=step: timed(step, n, b, device)) for name, step in steps.items()}
    if args.compile:
        compiled = auxlib_step("fp32", compiled=True)
        start = time.perf_counter()
        compiled()
        synchronize(device)
        print(f"torch.compile warm-up (first step): {time.perf_counter() - start:.1f} s")
        rates["bc"] = lambda n: timed(compiled, n, b, device)
    theirs = None
    if split:
        network = "lggmvae" if args.model == "auxgmvae" else "lgvae"
        theirs = SplitStep(args.tf_python, args.split_checkout, network, images, args.threads, b,
                           cfg.model.patch_size)
        rates["s"] = theirs.rate

    where = (torch.cuda.get_device_name(device) if device.type == "cuda" else
             f"{devices.cpu_model()} ({torch.backends.cpu.get_cpu_capability()}, AVX512-BF16: "
             f"{torch.cpu._is_avx512_bf16_supported()}, AMX: {torch.cpu._is_amx_tile_supported()})")
    auto = "b16" if devices.uses_bf16("auto", device) else "b"  # what training picks here, out of the box
    peaks = {"fp32": matmul_peak(torch.float32, device), "bf16": matmul_peak(torch.bfloat16, device)}
    flops = compute.flops_per_image(cfg)
    print(f"arch {args.arch}: {type(naive).__name__} with {models.count_parameters(naive):,} parameters, batch {b}, "
          f"{torch.get_num_threads()} threads, {args.steps} steps x {args.repeats} interleaved repeats, {where}, "
          f"torch {torch.__version__}")
    print(f"matrix-multiply peak: fp32 {peaks['fp32']:.0f} GFLOP/s, bf16 {peaks['bf16']:.0f} GFLOP/s; "
          f"one step: {flops / 1e6:.0f} MFLOP per image (products only)")
    runs: dict[str, list[float]] = {name: [] for name in rates}
    for _ in range(args.repeats):
        for name, rate in rates.items():
            runs[name].append(rate(args.steps))
    if theirs is not None:
        theirs.close()
    for name, values in runs.items():
        median = statistics.median(values)
        achieved = median * flops / 1e9
        title, precision = STEPS[name]
        print(f"{title:<36} {median:7.0f} img/s  (range {min(values):.0f}-{max(values):.0f}), "
              f"{achieved:.0f} GFLOP/s = {achieved / peaks[precision]:.0%} of the {precision} peak")
    for name, base in [*((n, "a") for n in runs if n != "a"), *((n, "s") for n in ("b", "b16") if "s" in runs)]:
        ratios = [x / y for x, y in zip(runs[name], runs[base])]
        print(f"({name})/({base}) = {statistics.median(ratios):.2f}  (range {min(ratios):.2f}-{max(ratios):.2f})")
    why = (f"a step measured {devices.cpu_bf16_speedup():.2f}x faster in bf16 on this CPU" if device.type == "cpu"
           and auto == "b16" else "")
    print(f"out of the box: precision=\"auto\" trains {STEPS[auto][0]}" + (f" ({why})" if why else ""))
    scored = "exp2" if args.model == "auxgmvae" else "exp1"
    scored_model = models.build(cfg.model).to(device, memory_format=torch.channels_last)
    share, setting = score_share(scored_model, scored, args.dataset, b / statistics.median(runs[auto]), device,
                                 auto == "b16")
    print(f"training-time scores at {scored}'s standard profile ({setting}): {share:.1%} of a run's time")
    if not args.no_save:
        suffix = "-auxgmvae" if args.model == "auxgmvae" else ""
        path = results.save(f"{results.THROUGHPUT}{args.arch}{suffix}_{args.device}", {
            "arch": args.arch, "model": type(naive).__name__, "device": where,
            "parameters": models.count_parameters(naive), "batch_size": b, "threads": torch.get_num_threads(),
            "steps": args.steps, "repeats": args.repeats, "flops_per_image": flops, "peak_gflops": peaks,
            "precision": {STEPS[name][0]: STEPS[name][1] for name in runs}, "auto": STEPS[auto][0],
            "score_share": share, "score_setting": f"{scored}'s standard profile, {setting}",
            "images_per_second": {STEPS[name][0]: values for name, values in runs.items()}})
        print(f"written to {path}")


if __name__ == "__main__":
    main()
