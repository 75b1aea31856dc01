"""Programs after PyTorch's note "Extending torch.autograd": custom ``Function``s."""
from __future__ import annotations

def linear_function(torch):
    """The note's ``LinearFunction``: saves its inputs (``bias`` may be None), computes
    only the gradients asked for, and passes gradcheck."""
    class LinearFunction(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input, weight, bias=None):
            ctx.save_for_backward(input, weight, bias)
            output = input.mm(weight.t())
            if bias is not None:
                output += bias.unsqueeze(0).expand_as(output)
            return output

        @staticmethod
        def backward(ctx, grad_output):
            input, weight, bias = ctx.saved_tensors
            grad_input = grad_weight = grad_bias = None
            if ctx.needs_input_grad[0]:
                grad_input = grad_output.mm(weight)
            if ctx.needs_input_grad[1]:
                grad_weight = grad_output.t().mm(input)
            if bias is not None and ctx.needs_input_grad[2]:
                grad_bias = grad_output.sum(0)
            return grad_input, grad_weight, grad_bias

    input = torch.tensor([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], dtype=torch.float64,
                         requires_grad=True)
    weight = torch.tensor([[1.0, 0.5, -1.5], [2.0, -0.5, 0.25]], dtype=torch.float64,
                          requires_grad=True)
    bias = torch.tensor([0.3, -0.1], dtype=torch.float64)
    out = LinearFunction.apply(input, weight, bias)
    (out * out).sum().backward()
    ok = torch.autograd.gradcheck(LinearFunction.apply, (input, weight), eps=1e-6, atol=1e-4)
    return {"out": out, "input.grad": input.grad, "weight.grad": weight.grad,
            "gradcheck": ok}


def mul_constant(torch):
    """The note's ``MulConstant``: a non-tensor argument kept on ``ctx``, whose gradient
    is ``None``."""
    class MulConstant(torch.autograd.Function):
        @staticmethod
        def forward(ctx, tensor, constant):
            ctx.constant = constant
            return tensor * constant

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * ctx.constant, None

    x = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64, requires_grad=True)
    y = MulConstant.apply(x, 5.5)
    (y ** 2).sum().backward()
    return {"y": y, "grad": x.grad}


def returning_none_for_constant_input(torch):
    """A backward returns ``None`` for a tensor input that requires no gradient."""
    class Scale(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.save_for_backward(scale)
            return x * scale

        @staticmethod
        def backward(ctx, grad_output):
            scale, = ctx.saved_tensors
            return grad_output * scale, None

    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    scale = torch.tensor([3.0, -1.0], dtype=torch.float64)
    Scale.apply(x, scale).sum().backward()
    return {"grad": x.grad, "scale.grad": scale.grad is None}


def mark_non_differentiable_sort(torch):
    """The note's sort: the indices are marked non-differentiable, and backward still
    takes a gradient for them; the input's gradient is scattered back with
    ``index_add_``."""
    class Sort(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            sorted, idx = x.sort()
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(x, idx)
            return sorted, idx

        @staticmethod
        def backward(ctx, g1, g2):
            x, idx = ctx.saved_tensors
            grad_input = torch.zeros_like(x)
            grad_input.index_add_(0, idx, g1)
            return grad_input

    x = torch.tensor([0.3, -1.2, 2.5, 0.7], dtype=torch.float64, requires_grad=True)
    values, idx = Sort.apply(x)
    (values * torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)).sum().backward()
    return {"values": values, "idx": idx, "idx.requires_grad": idx.requires_grad,
            "grad": x.grad}


def set_materialize_grads(torch):
    """The note's ``SimpleFunc``: with ``set_materialize_grads(False)`` the gradient of
    an unused output arrives as ``None``."""
    class SimpleFunc(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            ctx.save_for_backward(x)
            return x.clone(), x.clone()

        @staticmethod
        def backward(ctx, g1, g2):
            x, = ctx.saved_tensors
            grad_input = torch.zeros_like(x)
            if g1 is not None:
                grad_input += g1
            if g2 is not None:
                grad_input += g2
            return grad_input

    x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    a, _ = SimpleFunc.apply(x)
    (a * 2).sum().backward()
    return {"grad": x.grad}


def once_differentiable(torch):
    """The note's ``SimpleFunc`` with ``@once_differentiable``: one backward works; a
    second, through it, is refused."""
    from_function = torch.autograd.function

    class SimpleFunc(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @from_function.once_differentiable
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 2 * x * g

    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    g, = torch.autograd.grad(SimpleFunc.apply(x).sum(), x, create_graph=True)
    refused = False
    try:
        g.sum().backward()
    except RuntimeError:
        refused = True
    return {"g": g, "refused": refused}


def my_cube_setup_context(torch):
    """The note's ``MyCube`` in the newer style: ``forward`` without ``ctx``,
    ``setup_context(ctx, inputs, output)``, and a backward that is itself
    differentiable (double backward)."""
    class MyCube(torch.autograd.Function):
        @staticmethod
        def forward(x):
            result = x ** 3
            dx = 3 * x ** 2
            return result, dx

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, = inputs
            result, dx = output
            ctx.save_for_backward(x, dx)

        @staticmethod
        def backward(ctx, grad_output, grad_dx):
            x, dx = ctx.saved_tensors
            return grad_output * dx + grad_dx * 6 * x

    def my_cube(x):
        result, _ = MyCube.apply(x)
        return result

    x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
    g, = torch.autograd.grad(my_cube(x).sum(), x, create_graph=True)
    gg, = torch.autograd.grad(g.sum(), x)
    return {"g": g, "gg": gg,
            "gradgradcheck": torch.autograd.gradgradcheck(my_cube, (x,))}


def mark_dirty_inplace(torch):
    """A Function that writes into its input marks it dirty, and the graph follows the
    write."""
    class AddOne_(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output

    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    a = x.clone()
    b = AddOne_.apply(a)
    (b * b).sum().backward()
    return {"a": a, "b": b, "same": a is b, "grad": x.grad}
