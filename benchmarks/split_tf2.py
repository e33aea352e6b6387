"""[SPLIT]'s own TensorFlow 2 training step (51616/split-vae), timed for ``benchmarks/throughput.py`` to set
beside auxlib's. It runs under a Python that has TensorFlow (a venv of its own: tensorflow-cpu 2.15,
tensorflow-probability 0.23, numpy 1.26, scipy, matplotlib, wget, requests) and imports the authors' network,
loss functions and patch shuffle from a checkout of their repository; it copies none of their code.

    <tf-python> benchmarks/split_tf2.py --checkout PATH --network lgvae|lggmvae --images FILE.npy [--threads 2]

It builds the network as their ``vae/main.py`` does at the paper's settings (z_g = z_l = 128, k = 30, tau = 0.4,
Adam at lr 1e-4, batch 64), feeds it their input pipeline (``tf.data`` with their ``Augmentator("scramble")``,
8 parallel calls and prefetching) over the images of FILE.npy (uint8, N x 32 x 32 x 3), and takes their training
step: both discretised-logistic reconstructions and the KL terms, weighted as their ``vae/trainer.py`` weights
them (lgvae: beta on the KL of the joint code; lggmvae: beta on both Gaussian KLs and alpha on the KL of q(y|x)
from the uniform), under ``tf.function``. Once built and past its first step it prints ``ready``; then, for each
number n read from stdin, it trains n steps and prints the images per second (one line).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkout", type=Path, required=True, help="a checkout of 51616/split-vae")
    parser.add_argument("--network", choices=["lgvae", "lggmvae"], required=True)
    parser.add_argument("--images", type=Path, required=True, help="uint8 images, N x 32 x 32 x 3 (.npy)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--patch-size", type=int, default=1)
    args = parser.parse_args()
    if not (args.checkout / "vae" / "model.py").is_file():
        raise SystemExit(f"--checkout must be a checkout of 51616/split-vae (with vae/model.py), got {args.checkout}.")
    sys.path[:0] = [str(args.checkout / "vae"), str(args.checkout)]  # their modules import each other by bare name

    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    import trainer  # their loss functions
    from augmentation import Augmentator
    from model import LGGMVae, LGVae

    beta = alpha = 40.0  # their defaults; the values do not change a step's cost
    images = (np.load(args.images).astype(np.float32) / 255.0 * 2 - 1)  # their scaling, to [-1, 1]
    shape = [-1, *images.shape[1:]]
    augmentor = Augmentator(type="scramble", size=args.patch_size)
    batches = iter(tf.data.Dataset.from_tensor_slices(images).shuffle(20000).repeat()
                   .map(augmentor.augment, num_parallel_calls=8).batch(args.batch_size)
                   .prefetch(buffer_size=tf.data.experimental.AUTOTUNE))
    if args.network == "lgvae":
        model = LGVae(global_latent_dims=128, local_latent_dims=128, image_shape=shape)
        optimizer = tf.keras.optimizers.Adam(learning_rate=1e-4)
    else:
        model = LGGMVae(global_latent_dims=128, local_latent_dims=128, image_shape=shape, y_size=30, tau=0.4)
        schedule = tf.optimizers.schedules.ExponentialDecay(1e-4, decay_steps=1_000_000, decay_rate=0.4,
                                                            staircase=True)
        optimizer = tf.keras.optimizers.Adam(learning_rate=schedule)

    def reconstruction(x, mean, log_scale):
        return tf.reduce_mean(tf.reduce_sum(trainer.discretised_logistic_loss(x, mean, log_scale), axis=[1, 2, 3]))

    @tf.function
    def step(batch):
        x, x_hat = batch[..., :3], batch[..., 3:]
        with tf.GradientTape() as tape:
            if args.network == "lgvae":
                x_mean, x_scale, _, m_g, s_g, _, h_mean, h_scale, m_l, s_l = model(batch)
                kl = beta * trainer.kl_divergence(tf.concat([m_g, m_l], axis=1), tf.concat([s_g, s_l], axis=1))
            else:
                (x_mean, x_scale, _, m_g, s_g, _, h_mean, h_scale, m_l, s_l, _, y_logits, prior_m,
                 prior_s) = model(batch, training=True)
                py = tf.nn.softmax(y_logits, axis=1)
                kl_y = tf.reduce_mean(tf.reduce_sum(py * (tf.math.log(py + 1e-8) - tf.math.log(1.0 / model.y_size)),
                                                    axis=1))
                kl = (beta * (trainer.kl_divergence_two_gauss(m_g, s_g, prior_m, prior_s)
                              + trainer.kl_divergence_two_gauss(m_l, s_l, 0.0, 1.0)) + alpha * kl_y)
            loss = reconstruction(x, x_mean, x_scale) + reconstruction(x_hat, h_mean, h_scale) + kl
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    step(next(batches)).numpy()  # traces the graph and builds the optimiser's slots
    print("ready", flush=True)
    for line in sys.stdin:
        n = int(line)
        start = time.perf_counter()
        for _ in range(n):
            loss = step(next(batches))
        loss.numpy()  # waits for the last step
        print(n * args.batch_size / (time.perf_counter() - start), flush=True)


if __name__ == "__main__":
    main()
