"""Conformance: every differentiable function of arraygrad gives the same gradients on
every backend (``python -m conformance``; see README.md)."""
