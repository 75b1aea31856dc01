"""Programs after the examples of PyTorch's ``torch.autograd`` API reference."""
from __future__ import annotations



def _inputs(torch):
    return torch.tensor([[0.2, 0.9, 0.4, 0.6], [0.1, 0.5, 0.8, 0.3], [0.7, 0.2, 0.6, 0.9],
                         [0.4, 0.3, 0.1, 0.5]], dtype=torch.float64)


def functional_vjp_jvp(torch):
    """``autograd.functional.vjp`` and ``jvp``: the reference's ``exp_reducer`` and
    ``adder``, with and without ``create_graph``."""
    from_functional = torch.autograd.functional

    def exp_reducer(x):
        return x.exp().sum(dim=1)

    def adder(x, y):
        return 2 * x + 3 * y

    inputs = _inputs(torch)
    v = torch.ones(4, dtype=torch.float64)
    out, vjp = from_functional.vjp(exp_reducer, inputs, v)
    out_g, vjp_g = from_functional.vjp(exp_reducer, inputs, v, create_graph=True)
    pair = (inputs[0, :2], inputs[1, :2])
    _, vjp_pair = from_functional.vjp(adder, pair, torch.ones(2, dtype=torch.float64))
    _, jvp = from_functional.jvp(exp_reducer, inputs, torch.ones(4, 4, dtype=torch.float64))
    _, jvp_pair = from_functional.jvp(adder, pair, (torch.ones(2, dtype=torch.float64),
                                                    torch.ones(2, dtype=torch.float64)))
    return {"out": out, "vjp": vjp, "vjp_pair": vjp_pair, "jvp": jvp, "jvp_pair": jvp_pair,
            "create_graph": [out.requires_grad, vjp.requires_grad, out_g.requires_grad,
                             vjp_g.requires_grad]}


def functional_jacobian(torch):
    """``autograd.functional.jacobian``: one input, two inputs, two outputs, and
    ``vectorize``/``strategy``, shaped as PyTorch shapes them."""
    from_functional = torch.autograd.functional

    def exp_reducer(x):
        return x.exp().sum(dim=1)

    def exp_adder(x, y):
        return 2 * x.exp() + 3 * y

    def two_outputs(x):
        return x * x, x.sum()

    inputs = _inputs(torch)[:2, :2]
    pair = (inputs[0, :], inputs[1, :])
    return {"one": from_functional.jacobian(exp_reducer, inputs),
            "graph": from_functional.jacobian(exp_reducer, inputs,
                                              create_graph=True).requires_grad,
            "pair": from_functional.jacobian(exp_adder, pair),
            "two_outputs": from_functional.jacobian(two_outputs, inputs[0, :]),
            "vectorized": from_functional.jacobian(exp_adder, pair, vectorize=True),
            "forward": from_functional.jacobian(exp_adder, pair, vectorize=True,
                                                strategy="forward-mode")}


def functional_hessian_and_products(torch):
    """``autograd.functional.hessian``, ``vhp`` and ``hvp``: the reference's
    ``pow_reducer`` and ``pow_adder_reducer``."""
    from_functional = torch.autograd.functional

    def pow_reducer(x):
        return x.pow(3).sum()

    def pow_adder_reducer(x, y):
        return (2 * x.pow(2) + 3 * y.pow(2)).sum()

    inputs = _inputs(torch)[:2, :2]
    pair = (inputs[0, :], inputs[1, :])
    v = torch.ones(2, 2, dtype=torch.float64)
    ones = torch.ones(2, dtype=torch.float64)
    return {"hessian": from_functional.hessian(pow_reducer, inputs),
            "hessian_pair": from_functional.hessian(pow_adder_reducer, pair),
            "vhp": from_functional.vhp(pow_reducer, inputs, v),
            "vhp_pair": from_functional.vhp(pow_adder_reducer, pair, (ones, ones)),
            "hvp": from_functional.hvp(pow_reducer, inputs, v),
            "hvp_pair": from_functional.hvp(pow_adder_reducer, pair, (ones, ones))}


def functional_strict_errors(torch):
    """``strict=True`` refuses an output independent of an input, and a function that
    is not twice differentiable for ``hessian``; ``v`` may be omitted only for one
    element."""
    from_functional = torch.autograd.functional
    x = torch.tensor([1.0, 2.0], dtype=torch.float64)
    y = torch.tensor([3.0, 4.0], dtype=torch.float64)
    messages = []
    for call in (lambda: from_functional.jacobian(lambda a, b: a * 2, (x, y), strict=True),
                 lambda: from_functional.hessian(lambda a: a.sum() * 2, x, strict=True),
                 lambda: from_functional.vjp(lambda a: a * 2, x),
                 lambda: from_functional.jacobian(lambda a: y, x, strict=True)):
        try:
            call()
        except RuntimeError as error:
            messages.append(str(error))
    return {"messages": messages,
            "not_strict": from_functional.jacobian(lambda a, b: a * 2, (x, y))}


def grad_with_create_graph(torch):
    """``autograd.grad(create_graph=True)``: a gradient penalty on the norm of the
    gradient over each row (``norm(2, dim=1)``), as in WGAN-GP."""
    w = torch.tensor([[0.5, -0.3], [0.8, 0.1], [-0.2, 0.4]], dtype=torch.float64,
                     requires_grad=True)
    real = torch.tensor([[1.0, 0.5, -0.5], [0.2, -1.0, 0.3]], dtype=torch.float64)
    fake = torch.tensor([[0.1, 0.9, 0.4], [-0.6, 0.2, 0.8]], dtype=torch.float64)
    alpha = torch.tensor([[0.3], [0.7]], dtype=torch.float64)
    interpolates = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    critic = interpolates.mm(w).tanh().sum(dim=1)
    gradients, = torch.autograd.grad(outputs=critic, inputs=interpolates,
                                     grad_outputs=torch.ones_like(critic),
                                     create_graph=True, retain_graph=True)
    penalty = ((gradients.norm(2, dim=1) - 1) ** 2).mean()
    penalty.backward()
    return {"gradients": gradients, "penalty": penalty, "w.grad": w.grad}


def higher_order_derivatives(torch):
    """Derivatives of derivatives, by ``autograd.grad`` with ``create_graph``."""
    x = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    y = x.sin() * x.exp()
    derivatives = []
    for _ in range(4):
        y, = torch.autograd.grad(y, x, create_graph=True)
        derivatives.append(y.item())
    return derivatives


def allow_unused_and_materialize(torch):
    """``autograd.grad`` with an input the output does not use: an error, ``None``
    with ``allow_unused``, zeros with ``materialize_grads``."""
    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    unused = torch.tensor([3.0], dtype=torch.float64, requires_grad=True)
    out = (x * x).sum()
    message = None
    try:
        torch.autograd.grad(out, (x, unused), retain_graph=True)
    except RuntimeError as error:
        message = str(error)
    gx, gu = torch.autograd.grad(out, (x, unused), retain_graph=True, allow_unused=True)
    _, zeros = torch.autograd.grad(out, (x, unused), materialize_grads=True)
    return {"message": message, "gx": gx, "gu": gu is None, "zeros": zeros}


def backward_with_inputs(torch):
    """``backward(inputs=...)`` accumulates only into the inputs named."""
    a = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True)
    loss = (a * b).sum()
    loss.backward(inputs=[a], retain_graph=True)
    only_a = (a.grad.clone(), b.grad is None)
    torch.autograd.backward(loss, inputs=[b])
    return {"only_a": only_a, "a.grad": a.grad, "b.grad": b.grad}


def grads_batched(torch):
    """``is_grads_batched=True``: one backward per row of the batched grad_outputs, the
    Jacobian in one call."""
    x = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64, requires_grad=True)
    y = x.exp() * x
    jac, = torch.autograd.grad(y, x, torch.eye(3, dtype=torch.float64),
                               is_grads_batched=True)
    return jac


def graph_nodes(torch):
    """``autograd.graph.Node``: ``name()`` and ``next_functions`` walk the graph."""
    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    y = (x.exp() * 2).sum()
    names = []
    node = y.grad_fn
    while node is not None:
        names.append(node.name())
        node = node.next_functions[0][0] if node.next_functions else None
    return names


def node_metadata_and_multi_grad_hook(torch):
    """``Node.metadata`` is a dict kept with the node; ``register_multi_grad_hook``
    fires once the gradients of all its tensors are computed."""
    a = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([3.0], dtype=torch.float64, requires_grad=True)
    y = (a * 2).sum() + (b * 3).sum()
    y.grad_fn.metadata["tag"] = "loss"
    seen = []
    torch.autograd.graph.register_multi_grad_hook(
        (a, b), lambda grads: seen.append([g.tolist() for g in grads]))
    y.backward()
    return {"tag": y.grad_fn.metadata["tag"], "seen": seen}


def gradcheck_builtin(torch):
    """``gradcheck``/``gradgradcheck`` of built-in functions in double precision."""
    x = torch.tensor([[0.3, -0.8], [1.2, 0.5]], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([[0.9, 0.4], [-0.3, 1.1]], dtype=torch.float64, requires_grad=True)
    return [torch.autograd.gradcheck(torch.sin, (x,)),
            torch.autograd.gradcheck(lambda a, b: (a.mm(b).tanh() * a).sum(), (x, y)),
            torch.autograd.gradgradcheck(lambda a, b: a.mm(b).sigmoid(), (x, y))]
