"""Conformance cases of PyTorch's names (``arraygrad/ops/composed.py``): each is
composed of the standard's operations, and checked like them, against finite
differences, the NumPy backend and ``torch.autograd`` (which has every one of these
names; JAX has few of them, so it is rarely a reference here)."""
from __future__ import annotations

import numpy as np

from .cases import ND, _distinct, arr, case, unary

for _name in ("cat", "concatenate"):  # torch.concatenate is cat's alias
    case(_name, (lambda n: lambda xp, a, b: getattr(xp, n)([a, b], dim=-1))(_name),
         lambda draw, k, c: [arr(draw, (2, 3), cplx=c),
                             arr(draw, (2, (1, 0, 2)[k % 3]), cplx=c)],
         complex=True, linear=True)
case("gather", lambda xp, x, i: xp.gather(x, 1, i),
     lambda draw, k, c: [arr(draw, (3, 4), cplx=c), draw.ints(0, 3, ((3, 2, 1)[k % 3], (5, 1, 0)[k % 3]))],
     complex=True, linear=True)
case("scatter", lambda xp, x, s: xp.scatter(x, 1, xp.asarray([[2, 0], [1, 3], [0, 1]]), s),
     lambda draw, k, c: [arr(draw, (3, 4), cplx=c), arr(draw, (3, 2), cplx=c)],
     complex=True, linear=True)
case("scatter_add", lambda xp, x, i, s: xp.scatter_add(x, 0, i, s),
     lambda draw, k, c: [arr(draw, (3, 4), cplx=c), draw.ints(0, 2, (4, (4, 2, 0)[k % 3])),
                        arr(draw, (4, 4), cplx=c)],
     complex=True, linear=True)
case("index_add", lambda xp, x, i, s: xp.index_add(x, 1, i, s, alpha=-1.5),
     lambda draw, k, c: [arr(draw, (2, 3), cplx=c), draw.ints(0, 2, ((5, 1, 0)[k % 3],)),
                        arr(draw, (2, (5, 1, 0)[k % 3]), cplx=c)],
     complex=True, linear=True)
case("index_select", lambda xp, x, i: xp.index_select(x, 0, i),
     lambda draw, k, c: [arr(draw, (4, 3), cplx=c), draw.ints(0, 3, ((5, 1, 0)[k % 3],))],
     complex=True, linear=True)
case("masked_fill", lambda xp, x, m: xp.masked_fill(x, m, 0.5),
     lambda draw, k, c: [arr(draw, (3, 4)), np.asarray(draw.mask(((3, 4), (4,), (1, 4))[k % 3]))],
     linear=True)
case("logsumexp", lambda xp, x: xp.logsumexp(x, dim=-1, keepdim=True),
     unary(-3, 3, shapes=[(2, 3), (4,), (1, 5), (3, 2, 2)]))
case("softmax", lambda xp, x: xp.softmax(x, dim=0), unary(-3, 3, shapes=[(2, 3), (4,), (1, 5)]))
case("log_softmax", lambda xp, x: xp.log_softmax(x, dim=-1),
     unary(-3, 3, shapes=[(2, 3), (4,), (1, 5), (3, 2, 2)]))
case("sigmoid", lambda xp, x: xp.sigmoid(x), unary(-4, 4))
case("relu", lambda xp, x: xp.relu(x), unary(sign=True), linear=True)
case("flatten", lambda xp, x: xp.flatten(x, 1), unary(shapes=[(2, 3, 4), (1, 2, 1), (3, 0, 2)]),
     complex=True, linear=True)
case("unsqueeze", lambda xp, x: xp.unsqueeze(x, -1), unary(), complex=True, linear=True)
case("permute", lambda xp, x: xp.permute(x, (2, 0, 1)), unary(shapes=[(2, 3, 4), (1, 2, 1), (3, 0, 2)]),
     complex=True, linear=True)
case("transpose", lambda xp, x: xp.transpose(x, 0, -1), unary(shapes=[(2, 3, 4), (1, 2), (3, 0)]),
     complex=True, linear=True)
case("t", lambda xp, x: xp.t(x), unary(shapes=[(2, 3), (3,), (0, 2)]), complex=True, linear=True)
case("mm", lambda xp, a, b: xp.mm(a, b),
     lambda draw, k, c: [arr(draw, (2, 3), cplx=c), arr(draw, (3, (4, 1, 0)[k % 3]), cplx=c)],
     complex=True)
case("bmm", lambda xp, a, b: xp.bmm(a, b),
     lambda draw, k, c: [arr(draw, (2, 2, 3), cplx=c), arr(draw, (2, 3, (4, 1, 0)[k % 3]), cplx=c)],
     complex=True)
case("clone", lambda xp, x: xp.clone(x), unary(), complex=True, linear=True)
case("amax", lambda xp, x: xp.amax(x, dim=-1), _distinct([(2, 3), (4,), (3, 2, 2)]), linear=True)
case("amin", lambda xp, x: xp.amin(x, dim=0), _distinct([(2, 3), (4,), (3, 2, 2)]), linear=True)
case("norm", lambda xp, x: xp.norm(x, p=3, dim=-1), unary(sign=True, shapes=[(2, 3), (4,), (3, 2, 2)]))
case("cumsum", lambda xp, x: xp.cumsum(x, dim=-1), unary(shapes=ND), complex=True, linear=True)
case("cumprod", lambda xp, x: xp.cumprod(x, 0), unary(shapes=ND), complex=True)
case("topk", lambda xp, x: xp.topk(x, 2, dim=-1)[0], _distinct([(2, 3), (4,), (3, 2, 2)]),
     linear=True)
case("chunk", lambda xp, x: xp.chunk(x, 2, dim=-1)[-1], unary(shapes=[(2, 3), (5,), (3, 2, 4)]),
     complex=True, linear=True)
case("split", lambda xp, x: xp.split(x, [1, 2], dim=0)[1], unary(shapes=[(3, 2), (3,), (3, 0)]),
     complex=True, linear=True)
case("narrow", lambda xp, x: xp.narrow(x, -1, 1, 2), unary(shapes=[(2, 3), (4,), (3, 2, 3)]),
     complex=True, linear=True)
case("diag", lambda xp, x: xp.diag(x, 1), unary(shapes=[(3, 3), (4,), (2, 5)]), complex=True,
     linear=True)
case("clamp", lambda xp, x: xp.clamp(x, min=-0.5, max=0.7), unary(), linear=True)
case("addcmul", lambda xp, a, b, c: xp.addcmul(a, b, c, value=0.5),
     lambda draw, k, c: [arr(draw, (2, 3), cplx=c), arr(draw, (3,), cplx=c), arr(draw, (2, 1), cplx=c)],
     complex=True)
case("addcdiv", lambda xp, a, b, c: xp.addcdiv(a, b, c, value=2.0),
     lambda draw, k, c: [arr(draw, (2, 3)), arr(draw, (3,)), np.asarray(arr(draw, (2, 1), 0.5, 2.0))])
case("lerp", lambda xp, a, b, w: xp.lerp(a, b, w),
     lambda draw, k, c: [arr(draw, (2, 3)), arr(draw, (3,)), arr(draw, (2, 1), 0.0, 1.0)])
case("rsqrt", lambda xp, x: xp.rsqrt(x), unary(0.3, 3.0))
