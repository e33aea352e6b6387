"""The model layer: what a run learns, with no data and no training in it.

``config`` (validated configs and run keys), ``likelihoods`` (p(x | z) and the auxiliary one), ``transforms``
(the registry of g(x)) and ``models`` (the AuxVAE family and the classifier, with the registry from config class
to model). Imports only :mod:`auxlib.checks` and :mod:`auxlib.io` from outside this folder.
"""
