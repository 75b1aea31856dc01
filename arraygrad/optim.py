"""``arraygrad.optim``: PyTorch's optimizers (``SGD``, ``Adam``, ``AdamW``) for arraygrad
tensors on any backend.

The updates are PyTorch's single-tensor formulas, step for step, so a trajectory
matches ``torch.optim``'s to rounding. They run under ``arraygrad.no_grad()`` with
in-place operators (``p -= ...``, ``buf *= ...``): on a mutable backend (NumPy) the
parameter's own array is written when nothing else holds it; on an immutable one (JAX,
Dask) the tensor is rebound to the new array.

``state_dict()`` returns host copies of the state arrays (``HostArray``: nested Python
lists with shape and dtype; other values as they are), so it can be pickled or
deep-copied; ``load_state_dict`` moves them back onto each parameter's backend, dtype
and device, bit for bit. Complex parameters are not supported
by ``Adam``/``AdamW`` (PyTorch treats them as pairs of reals).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

from . import dtypes as _dt
from ._tensor import Tensor, asarray
from .autograd.grad_mode import enable_grad, no_grad

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "HostArray"]


class _Required:
    def __repr__(self) -> str:
        return "<required parameter>"

    def __reduce__(self):
        return "required"  # the one instance, through pickling and copying


required = _Required()


class Optimizer:
    """The base of the optimizers: parameter groups, per-parameter state, ``zero_grad``
    and ``state_dict``/``load_state_dict``, as in ``torch.optim.Optimizer``."""

    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        self.state: dict = {}
        self.param_groups: list = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable "
                            "of Tensors or dicts, but got a Tensor")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)

    def add_param_group(self, param_group: dict) -> None:
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, not {type(param_group).__name__}")
        group = dict(param_group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params "
                                f"is {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        if len({id(p) for p in group["params"]}) != len(group["params"]):
            raise ValueError("a parameter group holds the same parameter twice")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients: to ``None`` (the default), or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    with no_grad():
                        g.zero_()

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                self._update_group(group)
        return loss

    def _update_group(self, group: dict) -> None:
        raise NotImplementedError

    # -- state_dict ---------------------------------------------------------------

    def state_dict(self) -> dict:
        """``{"state": {index: {name: value}}, "param_groups": [...]}``, parameters
        numbered in order across the groups; state arrays are ``HostArray`` copies."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                s = self.state.get(p)
                if s:
                    state[index[id(p)]] = {k: _to_host(v) for k, v in s.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what ``state_dict()`` returned (from this optimizer or a like one)."""
        state_dict = copy.deepcopy(state_dict)
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for mine, theirs in zip(self.param_groups, groups):
            if len(mine["params"]) != len(theirs["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't "
                                 "match the size of optimizer's group")
        by_index = {}
        for mine, theirs in zip(self.param_groups, groups):
            for p, i in zip(mine["params"], theirs["params"]):
                by_index[i] = p
        self.state = {}
        for i, s in state_dict["state"].items():
            p = by_index.get(int(i))
            if p is None:
                continue
            self.state[p] = {k: _from_host(v, p) for k, v in s.items()}
        for mine, theirs in zip(self.param_groups, groups):
            params = mine["params"]
            mine.clear()
            mine.update({k: v for k, v in theirs.items() if k != "params"})
            mine["params"] = params


@dataclass(frozen=True)
class HostArray:
    """A state array in a state dict: its values as nested Python lists (exact for
    every float precision), its shape and its dtype's name."""
    values: object
    shape: tuple
    dtype: str


def _to_host(value):
    if isinstance(value, Tensor):
        host = value._backend.to_host(value._data)
        return HostArray(host.tolist(), tuple(value.shape), value.dtype.name)
    return copy.deepcopy(value)


def _from_host(value, param: Tensor):
    if isinstance(value, HostArray):
        from .ops import reshape
        dtype = param.dtype if param.dtype.is_floating_point else _dt._by_name(value.dtype)
        t = asarray(value.values, backend=param._backend, dtype=dtype, device=param.device)
        return t if tuple(t.shape) == tuple(value.shape) else reshape(t, value.shape)
    return value


def _grad_of(p: Tensor, maximize: bool):
    g = p._grad
    if g is None:
        return None
    return -g if maximize else g


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, dampening, weight decay and Nesterov
    momentum, as ``torch.optim.SGD``."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _update_group(self, group):
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay, nesterov = group["weight_decay"], group["nesterov"]
        for p in group["params"]:
            g = _grad_of(p, group["maximize"])
            if g is None:
                continue
            if weight_decay != 0:
                g = g + weight_decay * p
            if momentum != 0:
                state = self.state.setdefault(p, {})
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = Tensor._wrap(
                        p._backend.xp.asarray(g._data, copy=True), p._backend)
                else:
                    buf *= momentum
                    buf += (1 - dampening) * g
                g = g + momentum * buf if nesterov else buf
            p -= lr * g


class Adam(Optimizer):
    """Adam (and AMSGrad), as ``torch.optim.Adam``; ``decoupled_weight_decay=True`` is
    AdamW."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False, decoupled_weight_decay=False):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _update_group(self, group):
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay, amsgrad = group["weight_decay"], group["amsgrad"]
        for p in group["params"]:
            g = _grad_of(p, group["maximize"])
            if g is None:
                continue
            if g.dtype.is_complex:
                raise NotImplementedError("arraygrad's Adam does not support complex "
                                          "parameters")
            state = self.state.get(p)
            if not state:
                xp, b = p._backend.xp, p._backend
                state = self.state[p] = {
                    "step": 0,
                    "exp_avg": Tensor._wrap(xp.zeros_like(p._data), b),
                    "exp_avg_sq": Tensor._wrap(xp.zeros_like(p._data), b),
                }
                if amsgrad:
                    state["max_exp_avg_sq"] = Tensor._wrap(xp.zeros_like(p._data), b)
            state["step"] += 1
            step = state["step"]
            if weight_decay != 0:
                if group["decoupled_weight_decay"]:
                    p *= 1 - lr * weight_decay
                else:
                    g = g + weight_decay * p
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            exp_avg += (1 - beta1) * (g - exp_avg)  # torch's lerp_(grad, 1 - beta1)
            exp_avg_sq *= beta2
            exp_avg_sq += (1 - beta2) * (g * g)
            bias_correction1 = 1 - beta1 ** step
            bias_correction2 = 1 - beta2 ** step
            step_size = lr / bias_correction1
            bias_correction2_sqrt = bias_correction2 ** 0.5
            if amsgrad:
                from .ops import maximum
                state["max_exp_avg_sq"] = maximum(state["max_exp_avg_sq"], exp_avg_sq)
                second = state["max_exp_avg_sq"]
            else:
                second = exp_avg_sq
            from .ops import sqrt
            denom = sqrt(second) / bias_correction2_sqrt + eps
            p -= step_size * (exp_avg / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay, as ``torch.optim.AdamW``."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize, decoupled_weight_decay=True)

