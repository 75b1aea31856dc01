"""Typical user code: what issue 15 found missing (``logsumexp``/``cat``/``gather``/
``masked_fill``/in-place methods/``inference_mode``/``stack(dim=)``) and the common
rest of PyTorch's tensor vocabulary."""
from __future__ import annotations


def _logits(torch):
    return torch.tensor([[1.2, -0.3, 0.5, 2.0], [0.1, 0.4, -1.5, 0.0],
                         [-0.7, 2.2, 0.9, -0.2]], dtype=torch.float64, requires_grad=True)


def cross_entropy_by_hand(torch):
    """Cross-entropy written out: ``log_softmax(dim=1)``, ``gather`` of the targets,
    and the same through ``torch.logsumexp(dim=1, keepdim=True)``."""
    logits = _logits(torch)
    target = torch.tensor([3, 1, 0])
    picked = logits.log_softmax(dim=1).gather(1, target.unsqueeze(1))
    loss = -picked.mean()
    stable = (torch.logsumexp(logits, dim=1, keepdim=True)
              - logits.gather(1, target.unsqueeze(1))).mean()
    loss.backward()
    return {"loss": loss, "stable": stable, "grad": logits.grad,
            "softmax": torch.softmax(logits, dim=1)}


def attention_with_mask(torch):
    """Scaled dot-product attention: ``bmm``, ``transpose``, a causal mask by
    ``masked_fill`` and ``softmax(dim=-1)``."""
    q = torch.tensor([[[0.1, 0.2], [0.3, -0.1], [0.5, 0.4]]], dtype=torch.float64,
                     requires_grad=True)
    k = torch.tensor([[[0.2, -0.3], [0.1, 0.6], [-0.4, 0.2]]], dtype=torch.float64,
                     requires_grad=True)
    v = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]], dtype=torch.float64,
                     requires_grad=True)
    scores = torch.bmm(q, k.transpose(1, 2)) / 2 ** 0.5
    mask = torch.tensor([[False, True, True], [False, False, True], [False, False, False]])
    weights = scores.masked_fill(mask, float("-inf")).softmax(dim=-1)
    out = torch.bmm(weights, v)
    out.pow(2).sum().backward()
    return {"weights": weights, "out": out, "q.grad": q.grad, "k.grad": k.grad,
            "v.grad": v.grad}


def cat_and_view(torch):
    """``torch.cat`` of two tensors, then ``view``; ``torch.stack`` along the default
    first axis."""
    a = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([4.0, 5.0], dtype=torch.float64, requires_grad=True)
    column = torch.cat([a, b]).view(5, 1)
    stacked = torch.stack([a * 2, a.sin()])
    joined = torch.cat([stacked, a.unsqueeze(0)], dim=0)
    (column * column).sum().add(joined.pow(2).sum()).backward()
    return {"column": column, "joined": joined, "a.grad": a.grad, "b.grad": b.grad}


def module_functions_with_dim(torch):
    """``torch.stack([...], dim=0)`` and the reductions spelled with ``dim=``."""
    x = torch.tensor([[1.0, -2.0], [3.0, 0.5]], dtype=torch.float64, requires_grad=True)
    s = torch.stack([x, x * 2], dim=0)
    total = torch.sum(s, dim=1).pow(2).sum() + torch.mean(x, dim=0, keepdim=True).sum()
    total.backward()
    return {"s": s, "total": total, "grad": x.grad}


def inplace_methods_training(torch):
    """The in-place methods of training loops: ``y.mul_(2).add_(1)``,
    ``y.clamp_(min=0)`` on intermediate values, ``x.sub_(...)`` under ``no_grad``, a
    momentum buffer with ``mul_``/``add_(alpha=)``, ``addcmul_``/``addcdiv_`` (Adam's
    moments) and ``grad.zero_()``."""
    x = torch.tensor([0.5, -0.25, 1.5], dtype=torch.float64, requires_grad=True)
    buf = torch.zeros(3, dtype=torch.float64)
    m = torch.zeros(3, dtype=torch.float64)
    v = torch.zeros(3, dtype=torch.float64)
    losses = []
    for _ in range(4):
        y = x * 1.5
        y.mul_(2).add_(1)
        y.clamp_(min=0)
        loss = (y * x.cos()).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            g = x.grad
            buf.mul_(0.9).add_(g, alpha=0.1)
            m.mul_(0.9).add_(g, alpha=0.1)
            v.mul_(0.99).addcmul_(g, g, value=0.01)
            x.sub_(0.05 * buf)
            x.addcdiv_(m, v.sqrt().add_(1e-8), value=-0.01)
        x.grad.zero_()
    return {"losses": losses, "x": x, "buf": buf, "m": m, "v": v}


def inplace_elementwise_methods(torch):
    """The element-wise in-place family, each on a fresh intermediate result, and
    recorded."""
    x = torch.tensor([0.3, 0.8, 1.4], dtype=torch.float64, requires_grad=True)
    writes = [lambda t: t.sin_(), lambda t: t.cos_(), lambda t: t.tan_(),
              lambda t: t.exp_(), lambda t: t.log_(), lambda t: t.sqrt_(),
              lambda t: t.rsqrt_(), lambda t: t.tanh_(), lambda t: t.sigmoid_(),
              lambda t: t.relu_(), lambda t: t.abs_(), lambda t: t.neg_(),
              lambda t: t.pow_(3), lambda t: t.div_(3), lambda t: t.mul_(x),
              lambda t: t.sub_(x, alpha=0.5), lambda t: t.reciprocal_(),
              lambda t: t.square_(), lambda t: t.log1p_(), lambda t: t.expm1_(),
              lambda t: t.exp2_(), lambda t: t.log2_(), lambda t: t.log10_(),
              lambda t: t.lerp_(x * x, 0.25), lambda t: t.clip_(0.5, 1.0),
              lambda t: t.clamp_(max=0.9), lambda t: t.floor_(), lambda t: t.ceil_(),
              lambda t: t.round_(), lambda t: t.trunc_()]
    total = 0
    values = []
    for write in writes:
        t = x * 1.25
        write(t)
        values.append(t)
        total = total + t.sum()
    total.backward()
    return {"values": values, "grad": x.grad}


def fill_copy_and_masked_fill(torch):
    """``fill_``, ``zero_``, ``copy_`` and ``masked_fill_`` on intermediate results:
    the gradient stops at the filled elements and reaches the copied source."""
    x = torch.tensor([1.0, -2.0, 3.0, -4.0], dtype=torch.float64, requires_grad=True)
    src = torch.tensor([0.5, 0.25, 0.125, 2.0], dtype=torch.float64, requires_grad=True)
    a = x * 2
    a.masked_fill_(x < 0, 0.0)
    b = x * 3
    b.copy_(src * src)
    c = x * 4
    c.fill_(2.0)
    d = x * 1
    d.zero_()
    (a * a + b + c * x + d).sum().backward()
    return {"a": a, "b": b, "x.grad": x.grad, "src.grad": src.grad}


def scatter_and_index_ops(torch):
    """Embedding-bag style accumulation: ``index_select``, ``index_add_`` into zeros,
    ``scatter_add``, ``scatter`` and ``scatter_add_``."""
    table = torch.tensor([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6], [0.7, 0.8]],
                         dtype=torch.float64, requires_grad=True)
    ids = torch.tensor([2, 0, 2, 3])
    bags = torch.tensor([0, 0, 1, 1])
    rows = table.index_select(0, ids)
    pooled = torch.zeros(2, 2, dtype=torch.float64).index_add_(0, bags, rows)
    src = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=torch.float64,
                       requires_grad=True)
    index = torch.tensor([[0, 1, 0], [2, 2, 1]])
    added = torch.zeros(2, 3, dtype=torch.float64).scatter_add(1, index, src)
    written = torch.ones(2, 3, dtype=torch.float64).scatter(1, torch.tensor([[2], [0]]),
                                                             src[:, :1])
    grown = (src * 1).scatter_add_(1, index, src * src)
    loss = (pooled.pow(2).sum() + (added * added).sum() + written.sum() * 2
            + grown.sum())
    loss.backward()
    return {"pooled": pooled, "added": added, "written": written, "grown": grown,
            "table.grad": table.grad, "src.grad": src.grad}


def shape_methods(torch):
    """Shapes as PyTorch spells them: ``flatten``, ``unsqueeze``, ``squeeze(dim)``,
    ``expand``, ``repeat``, ``t``, ``permute``, ``chunk``, ``split``, ``narrow``."""
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=torch.float64,
                     requires_grad=True)
    parts = x.chunk(3, dim=1)
    pieces = x.split([1, 2], dim=1)
    pieces2 = torch.split(x, 2, dim=1)
    e = x.unsqueeze(0).expand(2, -1, -1)
    shapes = [tuple(p.shape) for p in parts + pieces + pieces2] + [
        tuple(x.unsqueeze(1).shape), tuple(x.unsqueeze(1).squeeze(1).shape),
        tuple(x.squeeze(0).shape), tuple(e.shape), tuple(x.repeat(2, 1, 2).shape),
        tuple(torch.flatten(e, 1).shape), tuple(x.permute(1, 0).shape),
        tuple(torch.t(x).shape)]
    y = (parts[0] * 1 + pieces[1].narrow(1, 1, 1) * 2).flatten()
    z = e.flatten().sum() + x.repeat(2, 2).t().pow(2).sum() + y.sum()
    z.backward()
    return {"shapes": shapes, "y": y, "grad": x.grad}


def reductions_with_dim(torch):
    """Tensor methods with ``dim``/``keepdim``: ``sum``, ``mean``, ``std``, ``var``,
    ``prod``, ``max``/``min`` along a dim (values and indices), ``amax``/``amin``,
    ``argmax``, ``norm(p, dim)``, ``cumsum``, ``logsumexp``."""
    x = torch.tensor([[1.0, -2.0, 3.5], [0.5, 4.0, -1.0]], dtype=torch.float64,
                     requires_grad=True)
    values, indices = x.max(dim=1)
    lows = x.min(dim=0, keepdim=True)
    terms = [x.sum(dim=1, keepdim=True).sum(), x.mean(dim=0).sum(), x.std(dim=1).sum(),
             x.var(), x.prod(1).sum(), values.sum(), lows.values.sum(),
             x.amax(dim=1).sum(), torch.amin(x, dim=(0, 1)), x.norm(2, dim=1).sum(),
             x.norm(1), torch.norm(x, p=3, dim=0).sum(), x.cumsum(dim=1).pow(2).sum(),
             torch.cumsum(x, 0).sum(), x.logsumexp(dim=1).sum()]
    total = sum(terms)
    total.backward()
    return {"terms": [t.item() for t in terms], "indices": indices,
            "low_indices": lows.indices, "argmax": x.argmax(dim=1), "argmin": x.argmin(),
            "grad": x.grad}


def topk_diag_trace(torch):
    """``topk`` (values and indices), ``diag`` both ways, ``trace``, ``mm``."""
    x = torch.tensor([[0.5, 2.0, -1.0], [3.0, 0.0, 1.5], [-2.0, 1.0, 4.0]],
                     dtype=torch.float64, requires_grad=True)
    top = x.topk(2, dim=1)
    bottom = torch.topk(x.flatten(), 3, largest=False)
    d = torch.diag(x)
    m = torch.diag(d * 2) + torch.diag(torch.tensor([1.0, 2.0], dtype=torch.float64), 1)
    total = (top.values.sum() + bottom.values.pow(2).sum() + torch.trace(x.mm(m))
             + x.diag(-1).sum())
    total.backward()
    return {"top": top.values, "top_indices": top.indices, "bottom": bottom.values,
            "bottom_indices": bottom.indices, "m": m, "total": total, "grad": x.grad}


def activations(torch):
    """``torch.sigmoid``, ``torch.relu`` (gradient 0 at 0), ``tanh``, ``clamp`` and
    their methods."""
    x = torch.tensor([-1.5, 0.0, 0.5, 2.0], dtype=torch.float64, requires_grad=True)
    y = (torch.sigmoid(x) + torch.relu(x) * 2 + x.relu() + x.sigmoid() * x.tanh()
         + torch.clamp(x, -1.0, 1.0))
    y.sum().backward()
    return {"y": y, "grad": x.grad}


def newton_through_the_loop(torch):
    """Newton's method for ``x**3 = a``, differentiated through its iterations with
    respect to ``a`` (d cbrt(a) / da)."""
    a = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    x = torch.tensor(1.0, dtype=torch.float64)
    for _ in range(8):
        x = x - (x ** 3 - a) / (3 * x ** 2)
    x.backward()
    return {"root": x, "grad": a.grad}


def adam_on_rosenbrock(torch):
    """``torch.optim.Adam`` minimizing the Rosenbrock function."""
    xy = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.Adam([xy], lr=0.05)
    losses = []
    for step in range(15):
        optimizer.zero_grad()
        loss = (1 - xy[0]) ** 2 + 100 * (xy[1] - xy[0] ** 2) ** 2
        loss.backward()
        optimizer.step()
        if step % 5 == 4:
            losses.append(loss.item())
    return {"xy": xy, "losses": losses}


def checkpointed_block(torch):
    """``torch.utils.checkpoint.checkpoint`` (non-reentrant): the same gradients as
    without it."""
    import importlib
    checkpoint = importlib.import_module(torch.__name__ + ".utils.checkpoint").checkpoint

    def block(h, w):
        return (h.mm(w)).tanh().mm(w.t()).sigmoid()

    w = torch.tensor([[0.3, -0.6], [0.9, 0.2]], dtype=torch.float64, requires_grad=True)
    x = torch.tensor([[1.0, 2.0], [-0.5, 0.25]], dtype=torch.float64, requires_grad=True)
    checkpoint(block, x, w, use_reentrant=False).sum().backward()
    with_checkpoint = (w.grad.clone(), x.grad.clone())
    w.grad = None
    x.grad = None
    block(x, w).sum().backward()
    return {"with": with_checkpoint, "without": (w.grad, x.grad)}
