"""Programs after PyTorch's note "Autograd mechanics"."""
from __future__ import annotations



def requires_grad_propagation(torch):
    """"Setting requires_grad": an output requires grad when any input does; a frozen
    input gets no gradient and stays a leaf."""
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)
    w = torch.tensor([[0.5, -1.0], [2.0, 0.25]], dtype=torch.float64, requires_grad=True)
    frozen = torch.tensor([1.5, -0.5], dtype=torch.float64)
    y = x.mm(w)
    z = (y + frozen).tanh().sum()
    z.backward()
    return {"flags": [x.requires_grad, y.requires_grad, frozen.requires_grad,
                      z.requires_grad, w.is_leaf, y.is_leaf, x.grad is None],
            "z": z, "grad": w.grad}


def grad_modes(torch):
    """"Grad Modes": no_grad, enable_grad inside it, inference_mode, set_grad_enabled
    as a function and a context manager, and the modes as decorators."""
    x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    with torch.no_grad():
        a = x * 2
        with torch.enable_grad():
            b = x * 2
    with torch.inference_mode():
        c = x * 2
        inside = (torch.is_inference_mode_enabled(), torch.is_grad_enabled())
    torch.set_grad_enabled(False)
    d = x * 2
    torch.set_grad_enabled(True)
    with torch.set_grad_enabled(False):
        e = x * 2

    @torch.no_grad()
    def doubled(t):
        return t * 2

    @torch.inference_mode()
    def tripled(t):
        return t * 3

    f, g = doubled(x), tripled(x)
    outside = (torch.is_inference_mode_enabled(), torch.is_grad_enabled())
    return {"requires_grad": [t.requires_grad for t in (a, b, c, d, e, f, g)],
            "inside": inside, "outside": outside, "values": c + g}


def inplace_on_intermediate_results(torch):
    """"In-place operations with autograd": in-place methods on intermediate results
    are recorded, and the gradient goes through them."""
    x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
    y = x * 2
    y.mul_(2).add_(1)
    y.clamp_(min=0)
    z = y.exp()
    w = x.sin()
    w.sub_(x * 0.5)
    loss = (z * w).sum()
    loss.backward()
    return {"y": y, "loss": loss, "grad": x.grad,
            "names": [z.grad_fn.name(), w.grad_fn.name(), loss.grad_fn.name()]}


def inplace_on_leaf(torch):
    """In-place on a leaf that requires grad: refused in grad mode, allowed (and not
    recorded) under no_grad."""
    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    messages = []
    for write in (lambda: x.add_(1), lambda: x.exp_(), lambda: x.zero_()):
        try:
            write()
        except RuntimeError as error:
            messages.append(str(error))
    with torch.no_grad():
        x.mul_(3).sub_(1)
        x.clamp_(max=4.0)
    (x * x).sum().backward()
    return {"messages": messages, "x": x, "grad": x.grad, "leaf": x.is_leaf,
            "requires_grad": x.requires_grad}


def version_counter(torch):
    """"In-place correctness checks": every tensor keeps a version counter, which each
    in-place write increments."""
    x = torch.tensor([1.0, 2.0, 3.0])
    versions = [x._version]
    x.add_(1)
    versions.append(x._version)
    x.mul_(2).exp_()
    versions.append(x._version)
    x[0] = 5.0
    versions.append(x._version)
    x += 1
    versions.append(x._version)
    return versions


def retain_grad_and_tensor_hooks(torch):
    """"Backward Hooks execution": a tensor hook changes the gradient that flows on;
    a non-leaf's retained ``.grad`` is the gradient after its hooks."""
    x = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64, requires_grad=True)
    y = x * x
    y.retain_grad()
    seen = []

    def double(grad):
        seen.append(grad.clone())
        return grad * 2

    y.register_hook(double)
    z = (y * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)).sum()
    z.backward()
    return {"x.grad": x.grad, "y.grad": y.grad, "seen": seen}


def node_hooks(torch):
    """Hooks on a graph node: a pre-hook may replace the gradients of its outputs, a
    post-hook sees the gradients it computed."""
    x = torch.tensor([0.5, 1.5], dtype=torch.float64, requires_grad=True)
    y = x.exp()
    z = (y * 3).sum()
    calls = []

    def prehook(grad_outputs):
        calls.append(("pre", grad_outputs[0]))
        return (grad_outputs[0] * 10,)

    def posthook(grad_inputs, grad_outputs):
        calls.append(("post", grad_inputs[0], grad_outputs[0]))

    y.grad_fn.register_prehook(prehook)
    y.grad_fn.register_hook(posthook)
    z.backward()
    return {"grad": x.grad, "calls": calls}


def saved_tensors_hooks(torch):
    """"Hooks for saved tensors": every value saved for backward goes through
    ``pack`` and comes back through ``unpack``."""
    packed, unpacked = [], []

    def pack(t):
        packed.append(tuple(t.shape))
        return t

    def unpack(t):
        unpacked.append(tuple(t.shape))
        return t

    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64, requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = x.pow(2) * x.sin()
    y.sum().backward()
    return {"grad": x.grad, "packed": len(packed) > 0, "unpacked": len(unpacked) > 0,
            "shapes": sorted(set(packed))}


def non_scalar_backward(torch):
    """Backward from a non-scalar output needs a gradient of its shape; the graph is
    freed after it unless ``retain_graph=True``."""
    x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    y = x * x * 2
    v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float64)
    y.backward(v, retain_graph=True)
    first = x.grad.clone()
    y.backward(v)
    errors = []
    try:
        y.backward(v)
    except RuntimeError:
        errors.append("freed")
    try:
        torch.tensor([1.0, 2.0], requires_grad=True).mul(2).backward()
    except RuntimeError as error:
        errors.append(str(error))
    return {"first": first, "accumulated": x.grad, "errors": errors}
