"""Programs after PyTorch's tutorial "Double Backward with Custom Functions"."""
from __future__ import annotations


def _second_derivatives(torch, fn, x):
    """(first derivative, second derivative) of ``fn(x).sum()`` element-wise."""
    g, = torch.autograd.grad(fn(x).sum(), x, create_graph=True)
    gg, = torch.autograd.grad(g.sum(), x)
    return g, gg


def saving_the_input(torch):
    """"Saving the Inputs": ``Square`` saves ``x``; its backward is made of
    differentiable operations, so double backward works."""
    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        def backward(ctx, grad_out):
            x, = ctx.saved_tensors
            return grad_out * 2 * x

    x = torch.tensor([0.3, -1.5, 2.0], dtype=torch.float64, requires_grad=True)
    g, gg = _second_derivatives(torch, Square.apply, x)
    return {"g": g, "gg": gg,
            "gradcheck": torch.autograd.gradcheck(Square.apply, x),
            "gradgradcheck": torch.autograd.gradgradcheck(Square.apply, x)}


def saving_the_output(torch):
    """"Saving the Outputs": ``Exp`` saves its result."""
    class Exp(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            result = torch.exp(x)
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad_out):
            result, = ctx.saved_tensors
            return result * grad_out

    x = torch.tensor([0.1, -0.4, 1.2], dtype=torch.float64, requires_grad=True)
    g, gg = _second_derivatives(torch, Exp.apply, x)
    return {"g": g, "gg": gg,
            "gradcheck": torch.autograd.gradcheck(Exp.apply, x),
            "gradgradcheck": torch.autograd.gradgradcheck(Exp.apply, x)}


def saving_intermediate_results(torch):
    """"Saving Intermediate Results": ``Sinh`` returns its intermediates as outputs, so
    that double backward sees them."""
    class Sinh(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            expx = torch.exp(x)
            expnegx = torch.exp(-x)
            ctx.save_for_backward(expx, expnegx)
            return (expx - expnegx) / 2, expx, expnegx

        @staticmethod
        def backward(ctx, grad_out, _grad_out_exp, _grad_out_negexp):
            expx, expnegx = ctx.saved_tensors
            grad_input = grad_out * (expx + expnegx) / 2
            grad_input += _grad_out_exp * expx
            grad_input -= _grad_out_negexp * expnegx
            return grad_input

    def sinh(x):
        return Sinh.apply(x)[0]

    x = torch.tensor([0.2, -0.7, 1.1], dtype=torch.float64, requires_grad=True)
    g, gg = _second_derivatives(torch, sinh, x)
    return {"g": g, "gg": gg,
            "gradcheck": torch.autograd.gradcheck(sinh, x),
            "gradgradcheck": torch.autograd.gradgradcheck(sinh, x)}


def intermediates_not_returned(torch):
    """The tutorial's wrong way: intermediates saved but not returned are constants to
    double backward, and gradgradcheck says so."""
    class SinhBad(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            expx = torch.exp(x)
            expnegx = torch.exp(-x)
            ctx.expx = expx
            ctx.expnegx = expnegx
            return (expx - expnegx) / 2

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out * (ctx.expx + ctx.expnegx) / 2

    x = torch.tensor([0.2, -0.7, 1.1], dtype=torch.float64, requires_grad=True)
    return {"gradcheck": torch.autograd.gradcheck(SinhBad.apply, x),
            "gradgradcheck": torch.autograd.gradgradcheck(SinhBad.apply, x,
                                                          raise_exception=False)}


def custom_double_backward(torch):
    """"Custom double backward": ``Cube``'s backward is itself a custom Function with a
    backward of its own."""
    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad_out):
            x, = ctx.saved_tensors
            return CubeBackward.apply(grad_out, x)

    class CubeBackward(torch.autograd.Function):
        @staticmethod
        def forward(ctx, grad_out, x):
            ctx.save_for_backward(x, grad_out)
            return grad_out * 3 * x ** 2

        @staticmethod
        def backward(ctx, grad_out):
            x, grad_out_saved = ctx.saved_tensors
            dx = grad_out * 6 * x * grad_out_saved
            dgrad_out = grad_out * 3 * x ** 2
            return dgrad_out, dx

    x = torch.tensor([0.5, -1.25, 2.0], dtype=torch.float64, requires_grad=True)
    g, gg = _second_derivatives(torch, Cube.apply, x)
    return {"g": g, "gg": gg,
            "gradcheck": torch.autograd.gradcheck(Cube.apply, x),
            "gradgradcheck": torch.autograd.gradgradcheck(Cube.apply, x)}
