"""Small PyTorch autograd programs, in the style of PyTorch's own documentation, each
written once against a module argument ``torch``: real PyTorch, or ``arraygrad`` in its
place (``tests/test_pytorch_programs.py`` runs both and compares what they return).

Every program is a function ``program(torch)`` returning numbers (tensors, floats,
bools, strings, nested in tuples, lists and dicts). Fixed values stand in for random
ones, since the two generators differ. Each module is one source:

=====================  ===============================================================
``mechanics``          the "Autograd mechanics" note
``extending``          "Extending torch.autograd" (custom ``Function``)
``double_backward``    "Double Backward with Custom Functions"
``with_examples``      "Learning PyTorch with Examples"
``api_examples``       the examples of the ``torch.autograd`` API reference
``user_code``          typical user code, including what issue 15 found missing
=====================  ===============================================================

A program that needs a feature arraygrad does not have yet (on every backend, or on
those named) is marked with ``needs``; the test expects it to fail there (strictly: it
must flip once the feature lands).
"""
from __future__ import annotations

import importlib

MODULES = ("mechanics", "extending", "double_backward", "with_examples", "api_examples",
           "user_code")


def needs(feature: str, backends=None):
    """Mark a program as needing ``feature`` (what is missing, and who builds it), on
    every backend or on those named."""
    def mark(program):
        program.needs = feature
        program.needs_on = backends
        return program
    return mark


def programs() -> dict:
    """Every program, by ``module.name``, in the order written."""
    found = {}
    for name in MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        for attr, value in vars(module).items():
            if callable(value) and not isinstance(value, type) and not attr.startswith("_") \
                    and getattr(value, "__module__", None) == module.__name__:
                found[f"{name}.{attr}"] = value
    return found
