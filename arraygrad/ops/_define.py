"""How an operation of the namespace is defined: a forward on backend arrays plus one
vector-Jacobian product (VJP) rule per differentiable input.

A rule is a plain function ``rule(xp, g, <names>...)``. ``g`` is the gradient of the
output, and each further parameter *name* says what the rule needs, which is exactly
what the forward saves for it:

* an input's name (``x``, ``x1``, ``x2``, …): that input's value;
* ``result``: the output's value;
* ``<input>_shape``, ``<input>_dtype``, ``<input>_device``: only that attribute of the
  input (``x_shape``), so the input itself is not kept;
* the name of a keyword of the operation (``axis``, ``keepdims``, …): its value.

``xp`` is the backend's namespace in an ordinary backward (rules run on raw arrays at
the backend's speed) and arraygrad's own namespace under ``create_graph=True`` (rules
run on Tensors, so every gradient is itself differentiable): one line serves both.
Undoing broadcasting and restoring an input's dtype are done here, once, for every
rule; a rule never sees an input that does not need a gradient.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from itertools import product
from operator import itemgetter

from ..autograd.grad_mode import is_grad_enabled
from ..autograd.node import OpNode, record
from ..backend import is_backend_array
from .. import _tensor

Tensor = _tensor.Tensor
_wrap = _tensor.Tensor._wrap
_new = object.__new__
_NO_KWARGS: dict = {}
_ABSENT = object()  # no positional argument given
_PY_SCALARS = (int, float, complex, bool)
# What a rule may ask of an input without keeping the input itself (``x_shape``, …).
_ATTRS = {
    "shape": lambda a: tuple(a.shape),
    "dtype": None,  # the arraygrad dtype, looked up through the backend
    "layout": None,  # how the backend lays it out beyond its shape (Dask's chunks), or None
    "device": lambda a: _tensor.array_api_compat.device(a),
}


@dataclass(frozen=True)
class _Plan:
    """What to save, and which rules to call, for one combination of inputs that need
    gradients."""
    mask: int       # bit i set: input i needs a gradient
    sources: tuple  # ("input", i) | ("result", None) | (attribute, i) | ("kwarg", name)
    inputs: tuple   # the indices of the inputs that need gradients
    calls: tuple    # per such input: (index, rule, how to pick its arguments: _picker)
    save: object    # (backend, datas, kwargs, out) -> the saved tuple (Op.saver);
                    # None for a variadic operation: see Op._save_all
    arrays: tuple   # per source, whether it is an array (an input or the result,
                    # a Python number included): what saved-tensor hooks are given
    saves_arrays: bool  # any of them: backward then frees it (see OpNode._release)

    @classmethod
    def make(cls, mask, sources, inputs, calls, save):
        arrays = tuple(kind in ("input", "result") for kind, _ in sources)
        return cls(mask, sources, inputs, calls, save, arrays, any(arrays))


def _picker(indices: tuple):
    """How a rule's arguments are taken from the saved tuple: ``None`` (no argument),
    an index (one argument), or a function returning them all."""
    if not indices:
        return None
    if len(indices) == 1:
        return indices[0]
    return itemgetter(*indices)


class _JointPlans(dict):
    """The plans of an operation with one joint rule, made on first use: the same
    values are saved whichever inputs need gradients; only the inputs differ."""

    def __init__(self, op):
        super().__init__()
        self._sources = tuple(s for s in op._joint_needs if s[0] != "needs")
        self._save = op.saver(self._sources)

    def __missing__(self, mask):
        inputs = tuple(i for i in range(mask.bit_length()) if mask >> i & 1)
        plan = self[mask] = _Plan.make(mask, self._sources, inputs, None, self._save)
        return plan


class Op:
    """One differentiable (or not) operation: forward, rules, and its node class
    (an ``OpNode``, which runs the rules in backward: ``arraygrad.autograd.node``).

    The rules are either one per input (``vjps``) or one ``joint`` rule returning the
    gradients of all inputs at once (for operations whose input gradients share work,
    or that take a sequence of arrays: ``variadic``).
    """

    def __init__(self, name, forward, inputs, vjps, node_name, broadcasts, kwarg_defaults,
                 positions, joint=None, outputs=1, variadic=False, zero_safe=False,
                 float_results=False):
        self.name = name
        self.zero_safe = zero_safe
        self.positions = positions  # parameter name -> index among positional arguments
        self.forward = forward
        self.inputs = inputs
        self.vjps = vjps
        self.joint = joint
        self.variadic = variadic
        self.outputs = outputs
        self.broadcasts = broadcasts
        self.kwarg_defaults = kwarg_defaults
        self.n_inputs = len(inputs)
        # Per input, whether it can receive a gradient (True: all of them, by a joint rule).
        self.wants_grad = True if joint is not None else tuple(v is not None for v in vjps)
        # The same as bits, for the operators' fast path: bit i set if input i can receive a gradient.
        self._grad_bits = (1 << self.n_inputs) - 1 if joint is not None else \
            sum(1 << i for i, v in enumerate(vjps) if v is not None)
        self.node_cls = type(node_name, (OpNode,), {"__slots__": (), "op": self,
                                                     "n_outputs": outputs})
        if joint is not None:
            self._joint_needs = self._needs(joint)
            self.plans = _JointPlans(self)
        else:
            self.plans = self._make_plans()
        if float_results:  # its result is float (or complex) whenever an input is:
            self._record = self._attach  # no dtype to check (see _record)

    def _needs(self, rule):
        names = list(inspect.signature(rule).parameters)[2:]  # after (xp, g)
        needs = []
        for n in names:
            base, _, attr = n.rpartition("_")
            if n in self.inputs:
                needs.append(("input", self.inputs.index(n)))
            elif n == "result":
                needs.append(("result", None))
            elif n == "needs":
                needs.append(("needs", None))
            elif base in self.inputs and attr in _ATTRS:
                needs.append((attr, self.inputs.index(base)))
            elif n in self.kwarg_defaults:
                needs.append(("kwarg", n))
            else:
                raise TypeError(f"rule of {self.name} asks for {n!r}, which {self.name} "
                                "does not have")
        return needs

    def _make_plans(self):
        needs = [None if r is None else self._needs(r) for r in self.vjps]
        plans = {}
        for bits in product((0, 1), repeat=len(self.inputs)):
            mask = sum(b << i for i, b in enumerate(bits))
            wanted = tuple(i for i, b in enumerate(bits) if b and needs[i] is not None)
            sources = []
            for i in wanted:
                sources.extend(s for s in needs[i] if s not in sources)
            calls = tuple(
                (i, self.vjps[i], _picker(tuple(sources.index(s) for s in needs[i])))
                for i in wanted)
            plans[mask] = _Plan.make(mask, tuple(sources), wanted, calls,
                                     self.saver(tuple(sources)))
        return plans

    def saver(self, sources):
        """A function ``(backend, datas, kwargs, out)`` returning exactly ``sources``
        as the saved tuple, taken apart once here rather than at every call; ``None``
        for a variadic operation (see ``_save_all``)."""
        if self.variadic:
            return None
        # The hot paths, spelled out: nothing, one input, or the result.
        if not sources:
            return lambda backend, datas, kwargs, out: ()
        if sources == (("result", None),):
            return lambda backend, datas, kwargs, out: (out,)
        if len(sources) == 1 and sources[0][0] == "input":
            k = sources[0][1]
            return lambda backend, datas, kwargs, out: (datas[k],)
        getters = tuple(self._getter(kind, key) for kind, key in sources)
        return lambda backend, datas, kwargs, out: tuple(
            [get(backend, datas, kwargs, out) for get in getters])

    def _getter(self, kind, key):
        """How one source is read from ``(backend, datas, kwargs, out)``."""
        if kind == "input":
            return lambda backend, datas, kwargs, out: datas[key]
        if kind == "result":
            return lambda backend, datas, kwargs, out: out
        if kind == "kwarg":  # given by keyword, by position, or left at its default
            position, default = self.positions[key], self.kwarg_defaults[key]
            if position is None:
                return lambda backend, datas, kwargs, out: kwargs.get(key, default)
            return lambda backend, datas, kwargs, out: datas[position] \
                if position < len(datas) else kwargs.get(key, default)
        if kind == "dtype":
            return lambda backend, datas, kwargs, out: backend.dtype_of(datas[key])
        if kind == "layout":
            return lambda backend, datas, kwargs, out: backend.layout(datas[key])
        attr = _ATTRS[kind]
        return lambda backend, datas, kwargs, out: attr(datas[key])

    # -- forward ------------------------------------------------------------------

    def __call__(self, args, kwargs, n=None):
        """Run the operation on ``args``; the first ``n`` (default: one per named input)
        are its array inputs."""
        if n is None:
            n = self.n_inputs
            if len(args) < n:
                args, kwargs = self._inputs_from_kwargs(args, kwargs)
        backend = None
        mask = 0
        raw = mixed = False
        datas = list(args)
        wants = self.wants_grad
        for i in range(n):
            a = args[i]
            if a.__class__ is Tensor or isinstance(a, Tensor):
                if backend is None:
                    backend = a._backend
                elif a._backend is not backend:
                    backend = _tensor.common_backend(self.name, backend, a._backend)
                    mixed = True
                datas[i] = a._data
                if a._requires_grad and (wants is True or wants[i]):
                    mask |= 1 << i
            elif a is not None and a.__class__ not in _PY_SCALARS:
                raw = True
        if mixed:  # Dask took NumPy tensors in: their arrays become Dask constants
            for i in range(n):
                a = args[i]
                if isinstance(a, Tensor) and a._backend is not backend:
                    datas[i] = backend.take_in(a._data)
        if raw or backend is None:
            backend, datas = self._take_in_raw(backend, args, datas, n)
        if self.variadic:
            out = self.forward(backend.ns, datas[:n], *datas[n:], **kwargs)
        else:
            out = self.forward(backend.ns, *datas, **kwargs)
        if mask and is_grad_enabled():
            return self._record(backend, args, datas, kwargs, out, mask, n)
        if out.__class__ is tuple:
            return tuple([_wrap(o, backend) for o in out])
        return _wrap(out, backend)

    def _inputs_from_kwargs(self, args, kwargs):
        kwargs = dict(kwargs)
        args = list(args)
        for name in self.inputs[len(args):]:
            args.append(kwargs.pop(name, self.kwarg_defaults.get(name)))
        return tuple(args), kwargs

    def _take_in_raw(self, backend, args, datas, n):
        """Inputs that are raw backend arrays or nested sequences become constants."""
        for i in range(n):
            a = args[i]
            if isinstance(a, Tensor) or a is None or isinstance(a, _PY_SCALARS):
                continue
            if is_backend_array(a):  # keeps its own backend, which must match
                t = _tensor.asarray(a)
            else:  # a nested sequence: made beside the other inputs
                t = _tensor.asarray(a, backend=backend)
            if backend is None:
                backend = t._backend
            elif t._backend is not backend:
                raise _tensor.mixed_backends(self.name, backend, t._backend)
            datas[i] = t._data
        if backend is None:
            backend = _tensor.current_backend()
        return backend, datas

    def _record(self, backend, args, datas, kwargs, out, mask, n):
        """The result attached to the graph by a new node (``_attach``), unless it is
        an integer or boolean array: such a result is never attached (PyTorch: it
        cannot require grad), whatever made it (``astype``, ``setitem``, a ``dtype=``
        of a reduction). A result of the dtype of an input that requires grad (nearly
        always) is differentiable: one identity test decides; only another dtype is
        looked up. An element-wise operation skips even that (``float_results``)."""
        first = self.plans[mask].inputs[0]  # an input that requires grad
        if out.__class__ is not tuple and out.dtype is not datas[first].dtype \
                and not _differentiable(backend, out):
            return _wrap(out, backend)
        return self._attach(backend, args, datas, kwargs, out, mask, n)

    def _attach(self, backend, args, datas, kwargs, out, mask, n):
        plan = self.plans[mask]
        node = _new(self.node_cls)
        node._plan = plan
        node._retained = node._hooks = None
        node._meta = self._broadcast_meta(backend, plan, datas, out, n) if self.broadcasts else None
        save = plan.save
        saved = save(backend, datas, kwargs, out) if save is not None else \
            self._save_all(plan, backend, datas, kwargs, out, n)
        return record(node, args, mask, n, saved, plan.arrays, out, backend)

    def _save_all(self, plan, backend, datas, kwargs, out, n):
        """The saved tuple of a variadic operation, whose inputs are ``datas[:n]``."""
        return tuple(datas[:n] if kind == "input" else out if kind == "result"
                     else self._save(kind, key, backend, datas, kwargs, n)
                     for kind, key in plan.sources)

    def _save(self, kind, key, backend, datas, kwargs, n):
        """A keyword's value, or an attribute of every input, of a variadic operation."""
        if kind == "kwarg":
            position = self.positions[key]
            if position is not None:
                position += n - 1  # the sequence took one parameter's place
            if position is not None and position < len(datas):
                return datas[position]
            return kwargs.get(key, self.kwarg_defaults[key])
        attr = backend.dtype_of if kind == "dtype" else backend.layout if kind == "layout" \
            else _ATTRS[kind]
        return [attr(d) for d in datas[:n]]

    def _broadcast_meta(self, backend, plan, datas, out, n):
        """``None`` if every input that needs a gradient has the result's shape and dtype;
        else, per input, ``None`` or the (shape, dtype) its gradient must be brought to."""
        meta = None
        out_shape, out_dtype = out.shape, out.dtype
        for i in plan.inputs:
            d = datas[i]
            if d.shape != out_shape or d.dtype is not out_dtype and d.dtype != out_dtype:
                if meta is None:
                    meta = [None] * n
                meta[i] = (tuple(d.shape), backend.dtype_of(d))
        return meta


def _differentiable(backend, array) -> bool:
    return backend.dtype_of(array).is_differentiable


def _public_signature(forward):
    sig = inspect.signature(forward)
    return sig.replace(parameters=list(sig.parameters.values())[1:])


def defop(*vjps, joint=None, inputs=None, node=None, broadcasts=False, outputs=1,
          zero_safe=False, float_results=False):
    """Define an operation from its forward ``forward(xp, <inputs>, …)``.

    ``vjps`` holds one rule per array input (``None`` where the input is not
    differentiable), or ``joint`` one rule for all inputs; no rules at all makes an
    operation without gradients (integer and boolean results; a result of such a
    dtype is never attached to the graph, whatever the operation).
    A forward whose first parameter is ``arrays`` (a sequence, or ``*arrays``) takes a
    variable number of inputs and needs a ``joint`` rule. ``outputs`` is the number of
    arrays the forward returns (as a tuple, when more than one); a rule then gets ``g``
    as a tuple with ``None`` for outputs that received no gradient. ``node`` is the
    name ``grad_fn`` prints. ``zero_safe`` makes the gradient exactly zero wherever the
    incoming gradient is zero, for functions whose derivative is infinite or NaN at
    finite points (see ``RuleNamespace.strong_zero``). ``float_results`` says that
    the result is floating (or complex) whenever an input is, as for every element-wise
    operation with a rule (the standard's type promotion): no integer or boolean result
    to keep off the graph, so its dtype is not checked (see ``Op._record``).
    """
    def decorate(forward):
        sig = _public_signature(forward)
        params = list(sig.parameters.values())
        variadic = bool(params) and params[0].name == "arrays"
        star = variadic and params[0].kind is params[0].VAR_POSITIONAL
        positional = [p.name for p in params
                      if p.kind is p.POSITIONAL_ONLY and p.default is p.empty]
        # The array inputs: one per rule, else every required positional-only parameter.
        if variadic:
            names = ("arrays",)
        else:
            names = inputs or tuple(positional[:len(vjps)] if vjps else positional)
        rules = vjps if vjps or joint else (None,) * len(names)
        broadcast = len(names) > 1 if broadcasts == "auto" else broadcasts
        if joint is None and len(rules) != len(names):
            raise TypeError(f"{forward.__name__}: {len(rules)} rules for inputs {names}")
        defaults = {p.name: (None if p.default is p.empty else p.default)
                    for p in params if p.name not in names or p.default is not p.empty}
        positions = {p.name: (i if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                              else None) for i, p in enumerate(params)}
        op = Op(forward.__name__, forward, names, rules,
                node or _node_name(forward.__name__), broadcast, defaults, positions,
                joint=joint, outputs=outputs, variadic=variadic, zero_safe=zero_safe,
                float_results=float_results)

        if star:
            def public(*arrays, **kwargs):
                return op(arrays, kwargs, len(arrays))
        elif variadic:
            def public(arrays, *args, **kwargs):
                arrays = tuple(arrays)
                return op((*arrays, *args), kwargs, len(arrays))
        elif len(names) == 1:
            public = _one_input(op, alone=len(params) == 1
                                and params[0].kind is params[0].POSITIONAL_ONLY)
        elif len(names) == 2 and len(params) == 2 and \
                all(p.kind is p.POSITIONAL_ONLY for p in params):
            public = _two_inputs(op)
        else:
            def public(*args, **kwargs):
                return op(args, kwargs)

        public.__name__ = public.__qualname__ = forward.__name__
        public.__doc__ = forward.__doc__
        public.__signature__ = sig
        public.__module__ = forward.__module__
        # inspect.getsource(arraygrad.sin) shows the forward, beside its rule.
        public.__wrapped__ = forward
        public.op = op
        return public
    return decorate


def _one_input(op, alone: bool):
    """The public function of a one-input operation: ``op((x,), kwargs)``, with the
    call that is the hot path (one tensor, and keywords if any: ``sin(x)``,
    ``sum(x, axis=1)``) run here, in the function itself. Saves the calls through
    ``Op`` (about 0.2 µs of the 1 µs of ``sin`` on a 3-element NumPy tensor under
    ``no_grad``: ``benchmarks/workloads/nograd.py``); keywords go straight to the
    forward, as ``Op.__call__`` would hand them on. An operation whose input is its
    only parameter (``alone``: ``sin``, ``exp``) takes no ``*args, **kwargs`` either,
    whose empty dict Python would make at every call. The two spellings share their
    body line for line but for the keywords: a shared inner function would put back
    the frame they save."""
    forward, record_, grad_bits = op.forward, op._record, op._grad_bits

    if alone:
        def public(x, /):
            if x.__class__ is not Tensor:
                return op((x,), _NO_KWARGS)
            backend = x._backend
            data = x._data
            out = forward(backend.ns, data)
            if x._requires_grad and grad_bits and is_grad_enabled():
                return record_(backend, (x,), (data,), _NO_KWARGS, out, 1, 1)
            if out.__class__ is tuple:  # several results without gradients (nonzero)
                return tuple([_wrap(o, backend) for o in out])
            return _wrap(out, backend)
        return public

    def public(x=_ABSENT, /, *args, **kwargs):
        if x.__class__ is not Tensor or args:
            return op(args if x is _ABSENT else (x, *args), kwargs)
        backend = x._backend
        data = x._data
        out = forward(backend.ns, data, **kwargs)
        if x._requires_grad and grad_bits and is_grad_enabled():
            return record_(backend, (x,), (data,), kwargs, out, 1, 1)
        if out.__class__ is tuple:
            return tuple([_wrap(o, backend) for o in out])
        return _wrap(out, backend)
    return public


def _two_inputs(op):
    """The public function of an operation of exactly two positional inputs
    (``matmul``, ``maximum``, ``atan2``, ``add`` called as a function): ``op((x1, x2),
    {})``, with the call of two tensors of one backend run here, as ``_one_input``
    runs one tensor's (``x @ w`` on 3x3 NumPy tensors, recorded: 4.4 against 5.4 µs
    through ``Op.__call__``). Everything else (Python numbers, raw arrays, mixed backends) goes
    through ``Op.__call__``."""
    forward, record_, grad_bits = op.forward, op._record, op._grad_bits

    def public(x1, x2, /):
        if x1.__class__ is not Tensor or x2.__class__ is not Tensor \
                or x1._backend is not x2._backend:
            return op((x1, x2), _NO_KWARGS)
        backend = x1._backend
        d1, d2 = x1._data, x2._data
        out = forward(backend.ns, d1, d2)
        if (x1._requires_grad or x2._requires_grad) and is_grad_enabled():
            mask = (x1._requires_grad | x2._requires_grad << 1) & grad_bits
            if mask:
                return record_(backend, (x1, x2), (d1, d2), _NO_KWARGS, out, mask, 2)
        if out.__class__ is tuple:
            return tuple([_wrap(o, backend) for o in out])
        return _wrap(out, backend)
    return public


def dispatches(*operations):
    """Declare the operations a public function runs when it picks between several
    (``pow``: a tensor or a Python exponent; ``sum``: one axis or all): each a function
    made by ``defop`` (or its name in the namespace, for one defined later). The registry
    of differentiable functions (``ops/registry.py``) reads the declaration."""
    def declare(fn):
        fn.ops = operations
        return fn
    return declare


def elementwise(*vjps, node=None, inputs=None, broadcasts="auto", zero_safe=False):
    """An element-wise operation. Its inputs broadcast against each other, so gradients
    are summed back to each input's shape; a unary one needs that only if its result
    can differ from its input in dtype (``abs``, ``real``, ``imag``)."""
    return defop(*vjps, node=node, inputs=inputs, broadcasts=broadcasts, zero_safe=zero_safe,
                 float_results=True)


def _node_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_")) + "Backward0"
