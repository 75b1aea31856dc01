"""Programs after PyTorch's tutorial "Learning PyTorch with Examples" (fewer
iterations, fixed initial values)."""
from __future__ import annotations

import math


def polynomial_autograd(torch):
    """"PyTorch: Tensors and autograd": fit a third-order polynomial to sin(x), updating
    the weights by hand under ``no_grad`` and clearing their gradients."""
    dtype = torch.float64
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
    y = torch.sin(x)
    a = torch.tensor(0.1, dtype=dtype, requires_grad=True)
    b = torch.tensor(-0.2, dtype=dtype, requires_grad=True)
    c = torch.tensor(0.05, dtype=dtype, requires_grad=True)
    d = torch.tensor(0.3, dtype=dtype, requires_grad=True)
    learning_rate = 1e-6
    losses = []
    for t in range(30):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        if t % 10 == 9:
            losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return {"losses": losses, "result": [a.item(), b.item(), c.item(), d.item()]}


def legendre_polynomial3(torch):
    """"PyTorch: Defining new autograd functions": ``y = a + b P3(c + d x)`` with the
    Legendre polynomial P3 as a custom Function."""
    class LegendrePolynomial3(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    dtype = torch.float64
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
    y = torch.sin(x)
    a = torch.full((), 0.0, dtype=dtype, requires_grad=True)
    b = torch.full((), -1.0, dtype=dtype, requires_grad=True)
    c = torch.full((), 0.0, dtype=dtype, requires_grad=True)
    d = torch.full((), 0.3, dtype=dtype, requires_grad=True)
    learning_rate = 5e-6
    losses = []
    for t in range(30):
        P3 = LegendrePolynomial3.apply
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        if t % 10 == 9:
            losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return {"losses": losses, "result": [a.item(), b.item(), c.item(), d.item()]}


def _two_layer_data(torch):
    """N=4 samples, D_in=3, H=5, D_out=2: fixed values."""
    dtype = torch.float64
    x = torch.linspace(-1.0, 1.0, 12, dtype=dtype).reshape(4, 3)
    y = torch.linspace(0.5, -0.5, 8, dtype=dtype).reshape(4, 2)
    w1 = torch.linspace(-0.6, 0.8, 15, dtype=dtype).reshape(3, 5).requires_grad_()
    w2 = torch.linspace(0.4, -0.5, 10, dtype=dtype).reshape(5, 2).requires_grad_()
    return x, y, w1, w2


def two_layer_net_autograd(torch):
    """The older tutorial's two-layer net: ``mm``, ``clamp(min=0)``, manual updates and
    ``w.grad.zero_()``."""
    x, y, w1, w2 = _two_layer_data(torch)
    learning_rate = 1e-2
    losses = []
    for t in range(25):
        y_pred = x.mm(w1).clamp(min=0).mm(w2)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            w1 -= learning_rate * w1.grad
            w2 -= learning_rate * w2.grad
            w1.grad.zero_()
            w2.grad.zero_()
    return {"losses": losses, "w1": w1, "w2": w2}


def my_relu_function(torch):
    """The older tutorial's ``MyReLU``: a custom Function whose backward zeroes the
    gradient by index assignment on a clone."""
    class MyReLU(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input

    x, y, w1, w2 = _two_layer_data(torch)
    learning_rate = 1e-2
    losses = []
    for t in range(25):
        relu = MyReLU.apply
        y_pred = relu(x.mm(w1)).mm(w2)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            w1 -= learning_rate * w1.grad
            w2 -= learning_rate * w2.grad
            w1.grad.zero_()
            w2.grad.zero_()
    return {"losses": losses, "w1": w1, "w2": w2}


def polynomial_with_optimizer(torch):
    """"PyTorch: optim", on plain tensors: SGD with momentum fits the polynomial."""
    dtype = torch.float64
    x = torch.linspace(-math.pi, math.pi, 200, dtype=dtype)
    y = torch.sin(x)
    p = torch.tensor([0.1, -0.2, 0.05, 0.3], dtype=dtype, requires_grad=True)
    xx = x.unsqueeze(-1).pow(torch.tensor([0.0, 1.0, 2.0, 3.0], dtype=dtype))
    optimizer = torch.optim.SGD([p], lr=1e-5, momentum=0.9)
    losses = []
    for t in range(30):
        y_pred = xx.mm(p.unsqueeze(1)).flatten()
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return {"losses": losses, "p": p}
