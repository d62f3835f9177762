"""K nets of one architecture as one: stacked parameters, their forward, per-net dropout and updates.

The parameters of K nets are stacked along a new leading dimension (PyTorch's model-ensembling
recipe). The recurrent nets run on plain batched matmuls over the window on ``nn.RNN``/``GRU``/
``LSTM``'s own parameter layout (``weight_ih_l0`` …: the initialisation stays torch's) — ``vmap``
has no batching rule for ``aten::lstm`` — the gated cells with a hand-written backward
(:mod:`bench.models.stacked_cells`). Any other module runs under ``vmap(functional_call)``.

The optimizers are torch's Adam and RMSprop update formulas on the stacked tensors with a per-net
learning rate, weight decay, step count and a mask: a net that has no batch at a step (a shorter
series, an early stop, a failure) does not move at all, its moment estimates included.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from bench.models.stacked_cells import gru_layer, lstm_layer

Params = dict[str, torch.Tensor]
# (params, buffers, x (K, batch, window), train, dropout or None) -> (K, batch) or (K, batch, n_out)
StackedForward = Callable[[Params, Params, torch.Tensor, bool, "NetDropout | None"], torch.Tensor]
ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8  # torch.optim.Adam's defaults
RMSPROP_ALPHA, RMSPROP_EPS = 0.9, 1e-7  # Keras' defaults (torch_loop._optimizer)
CLIP_EPS = 1e-6  # torch.nn.utils.clip_grad_norm_'s


class Stack:
    """The parameters of K nets in one leaf tensor (K, P) and each parameter's place in it.

    One flat tensor keeps the optimizer and the per-net gradient norm at a few tensor operations
    per step, whatever the number of parameter tensors; the forward reads shaped views of it.
    """

    def __init__(self, nets: Sequence[nn.Module], device: torch.device) -> None:
        self.layout: list[tuple[str, torch.Size, int, int]] = []
        offset = 0
        for name, p in nets[0].named_parameters():
            self.layout.append((name, p.shape, offset, offset + p.numel()))
            offset += p.numel()
        rows = [torch.cat([p.detach().reshape(-1) for _, p in n.named_parameters()]) for n in nets]
        self.flat = torch.stack(rows).to(device).requires_grad_(True)
        self.buffers = {
            name: torch.stack([dict(n.named_buffers())[name] for n in nets]).to(device)
            for name, _ in nets[0].named_buffers()
        }

    def params(self, flat: torch.Tensor) -> Params:
        """Shaped views (k, ...) of rows of the flat parameters (the whole stack or a subset).

        One ``split`` (its backward is one concatenation), not a slice per parameter."""
        parts = flat.split([b - a for _, _, a, b in self.layout], dim=1)
        return {
            name: p.reshape(flat.shape[0], *shape)
            for (name, shape, _, _), p in zip(self.layout, parts, strict=True)
        }

    @torch.no_grad()
    def write(self, flat: torch.Tensor, k: int, net: nn.Module) -> None:
        """Write row ``k`` of ``flat`` (the stack's parameters or a copy) into ``net``."""
        own = dict(net.named_parameters())
        for name, shape, a, b in self.layout:
            own[name].copy_(flat[k, a:b].reshape(shape))


def forward_of(arch: object, template: nn.Module) -> StackedForward:
    """The stacked forward of ``arch``'s nets: its own (recurrent matmuls) or ``vmap`` over a module."""
    own = arch.stacked_forward  # type: ignore[attr-defined]  # None: no forward of its own
    if own is not None:
        return lambda params, buffers, x, train, drop: own(params, x, drop if train else None)
    from torch.func import functional_call, vmap  # imported only for modules without their own

    base = copy.deepcopy(template).to("meta")

    def one(p: Params, b: Params, x: torch.Tensor) -> torch.Tensor:
        return functional_call(base, (p, b), (x,))

    # randomness="error": dropout inside a user module has no per-net stream here, so such a module
    # is refused (and fitted one net at a time) rather than trained on a different random stream.
    batched = vmap(one, randomness="error")

    def forward(
        params: Params, buffers: Params, x: torch.Tensor, train: bool, drop: NetDropout | None
    ) -> torch.Tensor:
        base.train(train)
        return batched(params, buffers, x)

    return forward


class NetDropout:
    """Dropout masks drawn per net from that net's own generator, in the order and shapes the net
    draws them when trained alone on CPU (``nn.Dropout``: ``bernoulli_(1 - p)`` then ``/ (1 - p)``),
    so a net's dropout does not depend on which other nets share its batch."""

    def __init__(self, gens: Sequence[torch.Generator], rates: Sequence[float], rows: Sequence[int]) -> None:
        self.gens, self.rates, self.rows = gens, rates, rows

    def __call__(self, h: torch.Tensor, between_layers: bool = False) -> torch.Tensor:
        """``h``: (K, batch, H) last states, or (K, batch, T, H) a layer's outputs (drawn (T, rows, H)
        like torch's recurrent layers, which run time-major)."""
        mask = torch.ones(h.shape, dtype=h.dtype)
        for k, (gen, p, n) in enumerate(zip(self.gens, self.rates, self.rows, strict=True)):
            if p <= 0.0 or n == 0:
                continue
            if between_layers:
                t, width = h.shape[2], h.shape[3]
                draw = torch.empty(t, n, width).bernoulli_(1 - p, generator=gen).div_(1 - p)
                mask[k, :n] = draw.transpose(0, 1)
            else:
                mask[k, :n] = torch.empty(n, h.shape[-1]).bernoulli_(1 - p, generator=gen).div_(1 - p)
        return h * mask.to(h.device)


def recurrent_forward(arch: object, params: Params, x: torch.Tensor, drop: NetDropout | None) -> torch.Tensor:
    """K ``RecurrentNet`` forwards on x (K, batch, window): torch's RNN/GRU/LSTM equations.

    The nets are tiny, so the count of operations is the cost. LSTM and GRU layers are one
    autograd node each with a hand-written backward (:mod:`bench.models.stacked_cells`); the tanh
    RNN (two operations a step) is traced: input projections of the whole window at once and no
    recurrent matmul at the first step (the initial state is zero, as torch's).
    """
    cell, layers = arch.cell, arch.num_layers  # type: ignore[attr-defined]
    seq = x.unsqueeze(-1)  # (K, B, T, 1)
    for layer in range(layers):
        w_ih, w_hh = params[f"rnn.weight_ih_l{layer}"], params[f"rnn.weight_hh_l{layer}"]
        b_ih, b_hh = params[f"rnn.bias_ih_l{layer}"], params[f"rnn.bias_hh_l{layer}"]
        last = layer == layers - 1
        if cell == "lstm":
            seq = lstm_layer(seq, w_ih, w_hh, b_ih + b_hh, full=not last)
        elif cell == "gru":
            seq = gru_layer(seq, w_ih, w_hh, b_ih, b_hh, full=not last)
        else:
            seq = _rnn_layer(seq, w_ih, w_hh, (b_ih + b_hh)[:, None, None, :], full=not last)
        if not last and drop is not None:
            seq = drop(seq, between_layers=True)
    return _head(params, seq, drop)


def _rnn_layer(
    seq: torch.Tensor, w_ih: torch.Tensor, w_hh: torch.Tensor, bias: torch.Tensor, full: bool
) -> torch.Tensor:
    """K tanh RNN layers on seq (K, B, T, I): the last state (K, B, H), or all (K, B, T, H)."""
    if seq.shape[-1] == 1:  # the first layer reads one value per step: a broadcast product
        xi = torch.addcmul(bias, seq, w_ih[:, None, None, :, 0])
    else:
        xi = torch.einsum("kbti,kgi->kbtg", seq, w_ih) + bias
    w_t = w_hh.transpose(1, 2)
    h = None
    outs: list[torch.Tensor] = []
    # unbind, not indexing: its backward is one concatenation, where each indexed view's
    # backward would zero-fill a tensor of the whole window's size.
    for gi in xi.unbind(2):
        h = torch.tanh(gi if h is None else torch.baddbmm(gi, h, w_t))
        outs.append(h)
    return torch.stack(outs, dim=2) if full else h


def _head(params: Params, out: torch.Tensor, drop: NetDropout | None) -> torch.Tensor:
    """Dropout on the last state (K, B, H), then the dense ReLU head."""
    if drop is not None:
        out = drop(out)
    dense = sorted({int(name.split(".")[1]) for name in params if name.startswith("head.")})
    for j, idx in enumerate(dense):
        w, bias = params[f"head.{idx}.weight"], params[f"head.{idx}.bias"]
        out = torch.baddbmm(bias[:, None, :], out, w.transpose(1, 2))
        if j < len(dense) - 1:
            out = F.relu(out)
    return out.squeeze(-1) if out.shape[-1] == 1 else out


class StackedOptimizer:
    """Adam or RMSprop (torch's single-tensor update formulas) over the flat (K, P) parameters of K
    nets, with a per-net learning rate and weight decay and a per-net step mask."""

    def __init__(
        self, flat: torch.Tensor, kind: str, lr: Sequence[float], weight_decay: Sequence[float]
    ) -> None:
        self.flat, self.kind = flat, kind
        self.device = flat.device
        self.lr = [float(v) for v in lr]
        self.wd = torch.tensor(weight_decay, dtype=flat.dtype, device=self.device)[:, None]
        self.decay = any(w != 0.0 for w in weight_decay)
        self.steps = torch.zeros(flat.shape[0], dtype=torch.float64, device=self.device)
        self.m = torch.zeros_like(flat) if kind == "adam" else None
        self.v = torch.zeros_like(flat)

    @torch.no_grad()
    def clip(self, max_norm: torch.Tensor) -> None:
        """Scale each net's gradient to a total norm of at most ``max_norm[k]`` (inf: no clipping)."""
        g = self.flat.grad
        coef = torch.clamp(max_norm / (torch.linalg.vector_norm(g, 2, dim=1) + CLIP_EPS), max=1.0)
        g.mul_(coef[:, None])

    @torch.no_grad()
    def step(self, stepping: torch.Tensor) -> None:
        """One update of the nets where ``stepping`` (K,) is True; the others keep every state."""
        p, on = self.flat, stepping[:, None]
        self.steps += stepping.to(torch.float64)
        lr = torch.tensor(self.lr, dtype=torch.float64, device=self.device)
        g = p.grad + self.wd * p if self.decay else p.grad
        if self.kind == "adam":
            (beta1, beta2), n = ADAM_BETAS, self.steps.clamp(min=1.0)
            step_size = (lr / (1 - beta1**n)).to(p.dtype)[:, None]
            bc2_sqrt = torch.sqrt(1 - beta2**n).to(p.dtype)[:, None]
            v = (self.v * beta2).addcmul_(g, g, value=1 - beta2)
            m = self.m.lerp(g, 1 - beta1)
            new = p - step_size * (m / (v.sqrt() / bc2_sqrt).add_(ADAM_EPS))
            self.m = torch.where(on, m, self.m)
        else:
            v = (self.v * RMSPROP_ALPHA).addcmul_(g, g, value=1 - RMSPROP_ALPHA)
            new = p - lr.to(p.dtype)[:, None] * (g / v.sqrt().add_(RMSPROP_EPS))
        self.v = torch.where(on, v, self.v)
        p.copy_(torch.where(on, new, p))
