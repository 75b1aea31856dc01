"""Keep the values a graph saves for backward in host memory, not on the device.

A deep network's forward pass saves its activations for backward; on a GPU they take
device memory until backward has used them. ``saved_tensors_hooks`` lets the user
choose where they live: here ``pack`` copies each saved array to host memory (a NumPy
array) as soon as the forward saves it, and ``unpack`` copies it back to its device
when backward needs it. With CuPy the saved activations then cost host RAM instead of
GPU memory:

    ARRAYGRAD_BACKEND=cupy python examples/offload_saved_tensors.py
    python examples/offload_saved_tensors.py          # NumPy: host to host, same code

It runs an 8-layer tanh MLP on scikit-learn's digits once with and once without the
hooks, prints how many bytes were offloaded, and checks that the gradients are equal.
"""
from __future__ import annotations

import arraygrad as ag
from digits import cross_entropy, linear, load_digits_split

LAYERS = 8
WIDTH = 256


class OffloadToHost:
    """Saved-tensor hooks that move every saved array to host memory and back."""

    def __init__(self):
        self.backend = ag.current_backend().name
        self.bytes_on_host = 0
        self.packed = self.unpacked = 0

    def pack(self, t):
        host = t.numpy()  # a host copy, from any backend and device
        self.bytes_on_host += host.nbytes
        self.packed += 1
        return t.device, host

    def unpack(self, packed):
        device, host = packed
        self.unpacked += 1
        return ag.asarray(host, backend=self.backend, device=device)

    def hooks(self):
        return ag.autograd.graph.saved_tensors_hooks(self.pack, self.unpack)


def make_params():
    ag.manual_seed(0)
    sizes = [64] + [WIDTH] * (LAYERS - 1) + [10]
    return [p for n_in, n_out in zip(sizes[:-1], sizes[1:]) for p in linear(n_in, n_out)]


def loss_of(params, x, y):
    h = x
    for i in range(0, len(params) - 2, 2):
        h = ag.tanh(h @ params[i] + params[i + 1])
    return cross_entropy(h @ params[-2] + params[-1], y, 10)


def gradients(params, x, y, offload=None):
    for p in params:
        p.grad = None
    if offload is None:
        loss = loss_of(params, x, y)
    else:
        with offload.hooks():
            loss = loss_of(params, x, y)
    loss.backward()
    return [p.grad for p in params]


def main() -> float:
    x, y, _, _ = load_digits_split()
    params = make_params()
    print(f"backend {ag.current_backend().name}: {LAYERS}-layer tanh MLP, width {WIDTH}, "
          f"batch {x.shape[0]}")
    plain = gradients(params, x, y)
    offload = OffloadToHost()
    offloaded = gradients(params, x, y, offload)
    print(f"saved arrays offloaded to host: {offload.packed} "
          f"({offload.bytes_on_host / 2**20:.1f} MiB), brought back: {offload.unpacked}")
    difference = max(float(ag.max(ag.abs(a - b))) for a, b in zip(plain, offloaded))
    print(f"largest difference between the gradients with and without offloading: "
          f"{difference:g}")
    # Backward reads every saved value it needs once. (The loss's row maximum is
    # detached, so the two values ``max`` saved are packed but never read.)
    assert 0 < offload.unpacked <= offload.packed
    assert difference == 0.0, "offloading must not change the gradients"
    return difference


if __name__ == "__main__":
    main()
