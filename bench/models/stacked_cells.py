"""K stacked LSTM layers over a whole window as one autograd node, with a hand-written backward.

Why: the stacked nets are tiny, so a training step costs what its operations cost, not its FLOPs.
Traced by autograd, each time step is a dozen recorded operations and as many backward nodes.
Here the forward runs untraced and the backward is written out: about a dozen small operations a
step each way, the weights' gradients accumulated step by step (no window-sized temporaries:
fresh large buffers cost page faults that outweigh the arithmetic). ``tanh`` is evaluated as
``2 sigmoid(2x) - 1`` (the same function; torch's CPU ``tanh`` costs several ``sigmoid``\\ s per
element), so results equal torch's up to float rounding, like any reassociation.
"""

from __future__ import annotations

from typing import Any

import torch


def lstm_layer(
    x: torch.Tensor, w_ih: torch.Tensor, w_hh: torch.Tensor, bias: torch.Tensor, full: bool
) -> torch.Tensor:
    """K LSTM layers (zero initial state) on x (K, B, T, I): ``w_ih`` (K, 4H, I), ``w_hh``
    (K, 4H, H), ``bias`` (K, 4H) both biases summed; gates in torch's order i, f, g, o.

    Returns the last state (K, B, H), or every state (K, B, T, H) when ``full``."""
    if torch.is_grad_enabled() and any(t.requires_grad for t in (x, w_ih, w_hh, bias)):
        return _LSTMLayer.apply(x, w_ih, w_hh, bias, full)
    with torch.no_grad():
        hs = _forward(x, w_ih, w_hh, bias, False)[0]
    return torch.stack(hs, dim=2) if full else hs[-1]


def _tanh_(t: torch.Tensor) -> torch.Tensor:
    """In place: ``t`` holding sigmoid(2x) becomes tanh(x)."""
    return t.mul_(2.0).sub_(1.0)


def _forward(
    x: torch.Tensor, w_ih: torch.Tensor, w_hh: torch.Tensor, bias: torch.Tensor, keep: bool
) -> tuple[list[torch.Tensor], list[torch.Tensor], list[torch.Tensor]]:
    """States h_t, and (when ``keep``) each step's gate activations and [g, c_{t-1}, i, tanh c_t]."""
    k, b, steps, _ = x.shape
    hidden = w_hh.shape[-1]
    g_rows = slice(2 * hidden, 3 * hidden)
    # tanh(x) = 2 sigmoid(2x) - 1: the g gate's rows doubled, one sigmoid covers all four gates
    w_ih, w_hh, bias = w_ih.clone(), w_hh.clone(), bias.clone()
    for w in (w_ih, w_hh, bias):
        w[:, g_rows].mul_(2.0)
    xi = torch.baddbmm(bias[:, None, :], x.reshape(k, b * steps, -1), w_ih.transpose(1, 2))
    xi = xi.view(k, b, steps, 4 * hidden)
    w_t = w_hh.transpose(1, 2)
    hs: list[torch.Tensor] = []
    acts: list[torch.Tensor] = []
    zs: list[torch.Tensor] = []
    c = torch.zeros(k, b, hidden, dtype=x.dtype, device=x.device)
    for t in range(steps):
        a = (xi[:, :, t] if t == 0 else torch.baddbmm(xi[:, :, t], hs[-1], w_t)).sigmoid()
        i, f, g, o = a.chunk(4, dim=-1)
        _tanh_(g)
        c_prev = c
        c = i * g if t == 0 else torch.addcmul(f * c, i, g)
        tc = _tanh_(torch.sigmoid(c * 2.0))
        hs.append(o * tc)
        if keep:
            acts.append(a)
            zs.append(torch.cat([g, c_prev, i, tc], dim=-1))
    return hs, acts, zs


class _LSTMLayer(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any, x: torch.Tensor, w_ih: torch.Tensor, w_hh: torch.Tensor, bias: torch.Tensor, full: bool
    ) -> torch.Tensor:
        hs, acts, zs = _forward(x, w_ih, w_hh, bias, True)
        ctx.save_for_backward(x, w_ih, w_hh, *hs, *acts, *zs)
        ctx.full, ctx.steps = full, len(hs)
        return torch.stack(hs, dim=2) if full else hs[-1]

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[Any, ...]:
        x, w_ih, w_hh, *rest = ctx.saved_tensors
        steps = ctx.steps
        hs, acts, zs = rest[:steps], rest[steps : 2 * steps], rest[2 * steps :]
        k, b, _, n_in = x.shape
        hidden = w_hh.shape[-1]
        g_rows = slice(2 * hidden, 3 * hidden)
        d_w_hh = torch.zeros_like(w_hh)
        # input weights and bias together: gradient against [x_t, 1]
        xa = torch.cat([x, x.new_ones(k, b, steps, 1)], dim=-1)
        d_w_in = x.new_zeros(k, 4 * hidden, n_in + 1)
        need_x = ctx.needs_input_grad[0]
        dxs: list[torch.Tensor] = []
        dpre = dc_next = f_next = None
        for t in range(steps - 1, -1, -1):
            a, z = acts[t], zs[t]
            if dpre is None:
                dh = grad[:, :, t] if ctx.full else grad
            elif ctx.full:
                dh = torch.baddbmm(grad[:, :, t], dpre, w_hh)
            else:
                dh = torch.bmm(dpre, w_hh)
            tc, o = z[..., 3 * hidden :], a[..., 3 * hidden :]
            dc = dh * o
            dc = torch.addcmul(dc, dc, tc * tc, value=-1.0)  # × tanh'(c) = 1 - tanh(c)²
            if f_next is not None:
                dc = torch.addcmul(dc, dc_next, f_next)
            # d pre-activation = [dc g, dc c_{t-1}, dc i, dh tanh c] × the activations' derivatives
            aa = a * a
            deriv = a - aa  # sigmoid' = s (1 - s)
            torch.neg(aa[..., g_rows], out=deriv[..., g_rows]).add_(1.0)  # tanh' = 1 - g²
            dpre = torch.cat([dc, dc, dc, dh], dim=-1).mul_(z).mul_(deriv)
            if t > 0:
                d_w_hh = torch.baddbmm(d_w_hh, dpre.transpose(1, 2), hs[t - 1])
            d_w_in = torch.baddbmm(d_w_in, dpre.transpose(1, 2), xa[:, :, t])
            if need_x:
                dxs.append(torch.bmm(dpre, w_ih))
            dc_next, f_next = dc, a[..., hidden : 2 * hidden]
        dx = torch.stack(dxs[::-1], dim=2) if need_x else None
        return dx, d_w_in[..., :n_in], d_w_hh, d_w_in[..., n_in], None
