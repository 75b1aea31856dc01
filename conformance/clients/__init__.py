"""The client sweep (``python -m conformance.clients``): how much of other people's
array-API code -- SciPy's capability table and scikit-learn's array-API estimators and
metrics -- is differentiable on arraygrad tensors, and on PyTorch tensors that require
grad. See ``population.py`` for what is called, ``check.py`` for the exact pass
criterion, and conformance/README.md ("Client sweep").

SciPy reads ``SCIPY_ARRAY_API`` once, at its first import: importing this package sets
it, and fails if SciPy was already imported without it.
"""
from .population import enable_scipy_array_api

enable_scipy_array_api()
