"""The training layer: turning a run config into a trained model, once.

``devices`` (device, torchrun, bf16), ``store`` (the run cache, checkpoints, records), ``monitor`` (the scores
taken during training, one registry entry per model class), ``train`` (the loop, several runs side by side,
records without weights) and ``archive`` (the runs a chapter uses, packed into one file and imported into another run
cache). Imports the model, data and analysis layers only.
"""
