"""The analysis layer: reading a trained model, below training, whose learning curves use it.

``latents`` (encoding, decoding and swapping the parts of the latent), ``judge`` (the classifier that reads
decodes), ``metrics`` (accuracy, clustering scores, colour spreads) and ``probes`` (probes of a factor from a
code, with known answers). Imports the model and data layers only.
"""
