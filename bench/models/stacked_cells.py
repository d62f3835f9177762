"""K stacked LSTM or GRU layers over a whole window as one autograd node, with a hand-written backward.

Why: the stacked nets are tiny, so a training step costs what its operations cost as much as its
FLOPs. Traced by autograd, each time step is a dozen recorded operations and as many backward
nodes. Here the forward runs untraced: each step is one matmul on [x_t, 1, h_{t-1}] (input,
bias and recurrent weights in one matrix) and a few element-wise operations, which also store the
gates' derivatives; the backward takes about ten operations a step, and the weights' gradient is
one matmul over all steps. ``tanh`` is evaluated as ``2 sigmoid(2x) - 1`` (the same function;
torch's CPU ``tanh`` costs several sigmoids per element), so results equal torch's up to
float rounding (measured in tests/test_stacked_cells.py).
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
        hs = _forward(x, w_ih, w_hh, bias, False)[1]
    return torch.stack(hs, dim=2) if full else hs[-1]


def _inputs(x: torch.Tensor, hidden: int) -> torch.Tensor:
    """Every step's matmul input [x_t, 1, h_{t-1}] (K, T, B, I + 1 + H) in one buffer (the states
    are written in as they come), so that the weights' gradient is one matmul over all steps."""
    k, b, steps, n_in = x.shape
    inps = x.new_zeros(k, steps, b, n_in + 1 + hidden)
    inps[..., :n_in] = x.transpose(1, 2)
    inps[..., n_in] = 1.0
    return inps


def _weight_grad(dpre: torch.Tensor, inps: torch.Tensor) -> torch.Tensor:
    """Sum over steps and rows of dpre_t^T [x_t, 1, h_{t-1}]: (K, G, I + 1 + H)."""
    k = dpre.shape[0]
    return torch.bmm(dpre.reshape(k, -1, dpre.shape[-1]).transpose(1, 2), inps.reshape(k, -1, inps.shape[-1]))


def _tanh_(t: torch.Tensor) -> torch.Tensor:
    """In place: ``t`` holding sigmoid(2x) becomes tanh(x)."""
    return t.mul_(2.0).sub_(1.0)


def _forward(
    x: torch.Tensor, w_ih: torch.Tensor, w_hh: torch.Tensor, bias: torch.Tensor, keep: bool
) -> tuple[torch.Tensor, list[torch.Tensor], ...]:
    """Each step's input [x_t, 1, h_{t-1}] (K, T, B, I + 1 + H), the states h_t and (when ``keep``)
    the gate activations, their derivatives, the cell states (c_{-1} = 0 first) and their tanh."""
    k, b, steps, n_in = x.shape
    hidden = w_hh.shape[-1]
    # [W_ih, b, W_hh] with the g gate's rows doubled: tanh(x) = 2 sigmoid(2x) - 1, so one sigmoid
    # covers all four gates and a step's pre-activations are one matmul on its input
    w = torch.cat([w_ih, bias[:, :, None], w_hh], dim=2)
    w[:, 2 * hidden : 3 * hidden].mul_(2.0)
    w_t = w.transpose(1, 2)
    inps = _inputs(x, hidden)
    hs: list[torch.Tensor] = []
    acts: list[torch.Tensor] = []
    derivs: list[torch.Tensor] = []
    c = x.new_zeros(k, b, hidden)
    cs = [c]
    tcs: list[torch.Tensor] = []
    for t in range(steps):
        a = torch.bmm(inps[:, t], w_t).sigmoid_()
        i, f, g, o = a.chunk(4, dim=-1)
        _tanh_(g)
        c = torch.mul(i, g) if t == 0 else torch.addcmul(f * c, i, g)
        tc = _tanh_(torch.sigmoid(c * 2.0))
        h = torch.mul(o, tc, out=inps[:, t + 1, ..., n_in + 1 :]) if t < steps - 1 else o * tc
        hs.append(h)
        if keep:
            d = torch.addcmul(a, a, a, value=-1.0)  # sigmoid' = s (1 - s)
            d[..., 2 * hidden : 3 * hidden].add_(1.0).sub_(g)  # tanh' = 1 - g² = g (1 - g) + 1 - g
            acts.append(a)
            derivs.append(d)
            cs.append(c)
            tcs.append(tc)
    return inps, hs, acts, derivs, cs, tcs


class _LSTMLayer(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any, x: torch.Tensor, w_ih: torch.Tensor, w_hh: torch.Tensor, bias: torch.Tensor, full: bool
    ) -> torch.Tensor:
        inps, hs, acts, derivs, cs, tcs = _forward(x, w_ih, w_hh, bias, True)
        ctx.save_for_backward(w_ih, w_hh, inps, *acts, *derivs, *cs, *tcs)
        ctx.full, ctx.steps = full, len(hs)
        return torch.stack(hs, dim=2) if full else hs[-1]

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[Any, ...]:
        w_ih, w_hh, inps, *rest = ctx.saved_tensors
        steps = ctx.steps
        acts, derivs = rest[:steps], rest[steps : 2 * steps]
        cs, tcs = rest[2 * steps : 3 * steps + 1], rest[3 * steps + 1 :]
        n_in = w_ih.shape[-1]
        dpres = acts[0].new_empty(inps.shape[0], steps, *acts[0].shape[1:])
        need_x = ctx.needs_input_grad[0]
        dxs: list[torch.Tensor] = []
        dpre = dc_next = f_next = None
        for t in range(steps - 1, -1, -1):
            i, f, g, o = acts[t].chunk(4, dim=-1)
            if dpre is None:
                dh = grad[:, :, t] if ctx.full else grad
            elif ctx.full:
                dh = torch.baddbmm(grad[:, :, t], dpre, w_hh)
            else:
                dh = torch.bmm(dpre, w_hh)
            tc = tcs[t]
            dc = dh * o
            dc = torch.addcmul(dc, dc, tc * tc, value=-1.0)  # × tanh'(c) = 1 - tanh(c)²
            if f_next is not None:
                dc = torch.addcmul(dc, dc_next, f_next)
            # d pre-activation = [dc g, dc c_{t-1}, dc i, dh tanh c] × the activations' derivatives
            dpre = dpres[:, t]
            d_i, d_f, d_g, d_o = dpre.chunk(4, dim=-1)
            torch.mul(dc, g, out=d_i)
            torch.mul(dc, cs[t], out=d_f)
            torch.mul(dc, i, out=d_g)
            torch.mul(dh, tc, out=d_o)
            dpre.mul_(derivs[t])
            if need_x:
                dxs.append(torch.bmm(dpre, w_ih))
            dc_next, f_next = dc, f
        dx = torch.stack(dxs[::-1], dim=2) if need_x else None
        d_w = _weight_grad(dpres, inps)  # [W_ih, b, W_hh]
        return dx, d_w[..., :n_in], d_w[..., n_in + 1 :], d_w[..., n_in], None


def gru_layer(
    x: torch.Tensor,
    w_ih: torch.Tensor,
    w_hh: torch.Tensor,
    b_ih: torch.Tensor,
    b_hh: torch.Tensor,
    full: bool,
) -> torch.Tensor:
    """K GRU layers (zero initial state) on x (K, B, T, I): torch's equations and gate order
    (r, z, n; ``b_hh`` inside the reset gate's product). Returns as :func:`lstm_layer`."""
    args = (x, w_ih, w_hh, b_ih, b_hh)
    if torch.is_grad_enabled() and any(t.requires_grad for t in args):
        return _GRULayer.apply(*args, full)
    with torch.no_grad():
        hs = _gru_forward(*args, False)[1]
    return torch.stack(hs, dim=2) if full else hs[-1]


def _gru_weights(
    w_ih: torch.Tensor, w_hh: torch.Tensor, b_ih: torch.Tensor, b_hh: torch.Tensor
) -> torch.Tensor:
    """(K, 4H, I + 1 + H): on the input [x_t, 1, h_{t-1}] one matmul gives the r and z
    pre-activations, the n gate's input part and its recurrent part (zero blocks between)."""
    k, _, n_in = w_ih.shape
    hidden = w_hh.shape[-1]
    w = w_ih.new_zeros(k, 4 * hidden, n_in + 1 + hidden)
    w[:, : 3 * hidden, :n_in] = w_ih
    w[:, : 2 * hidden, n_in] = b_ih[:, : 2 * hidden] + b_hh[:, : 2 * hidden]
    w[:, 2 * hidden : 3 * hidden, n_in] = b_ih[:, 2 * hidden :]
    w[:, 3 * hidden :, n_in] = b_hh[:, 2 * hidden :]
    w[:, : 2 * hidden, n_in + 1 :] = w_hh[:, : 2 * hidden]
    w[:, 3 * hidden :, n_in + 1 :] = w_hh[:, 2 * hidden :]
    return w


def _gru_forward(
    x: torch.Tensor,
    w_ih: torch.Tensor,
    w_hh: torch.Tensor,
    b_ih: torch.Tensor,
    b_hh: torch.Tensor,
    keep: bool,
) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor], list[torch.Tensor]]:
    """Each step's input [x_t, 1, h_{t-1}] (K, T, B, I + 1 + H), the states and (when ``keep``)
    the r, z gates and the coefficients that turn dh_t into the pre-activations' gradient."""
    k, b, steps, n_in = x.shape
    hidden = w_hh.shape[-1]
    w = _gru_weights(w_ih, w_hh, b_ih, b_hh)
    w[:, 2 * hidden : 3 * hidden].mul_(2.0)  # tanh(x) = 2 sigmoid(2x) - 1 (the recurrent part: below)
    w_t = w.transpose(1, 2)
    inps = _inputs(x, hidden)
    hs: list[torch.Tensor] = []
    gates: list[torch.Tensor] = []
    coefs: list[torch.Tensor] = []
    for t in range(steps):
        pre = torch.bmm(inps[:, t], w_t)
        rz = pre[..., : 2 * hidden].sigmoid_()
        r, z = rz.chunk(2, dim=-1)
        gh_n = pre[..., 3 * hidden :]
        n = _tanh_(torch.addcmul(pre[..., 2 * hidden : 3 * hidden], r, gh_n, value=2.0).sigmoid_())
        h_prev = inps[:, t, ..., n_in + 1 :] if t else torch.zeros_like(n)
        out = inps[:, t + 1, ..., n_in + 1 :] if t < steps - 1 else None
        h = torch.lerp(n, h_prev, z, out=out) if out is not None else torch.lerp(n, h_prev, z)
        hs.append(h)
        if keep:
            e = torch.empty_like(pre[..., : 3 * hidden])
            e_r, e_z, e_n = e.chunk(3, dim=-1)
            torch.mul(n, n, out=e_n).neg_().add_(1.0).mul_(torch.rsub(z, 1.0))  # (1 - z) tanh'
            torch.mul(e_n, gh_n, out=e_r).mul_(torch.addcmul(r, r, r, value=-1.0))  # … gh_n r'
            torch.sub(h_prev, n, out=e_z).mul_(torch.addcmul(z, z, z, value=-1.0))  # (h - n) z'
            gates.append(rz)
            coefs.append(e)
    return inps, hs, gates, coefs


class _GRULayer(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any,
        x: torch.Tensor,
        w_ih: torch.Tensor,
        w_hh: torch.Tensor,
        b_ih: torch.Tensor,
        b_hh: torch.Tensor,
        full: bool,
    ) -> torch.Tensor:
        inps, hs, gates, coefs = _gru_forward(x, w_ih, w_hh, b_ih, b_hh, True)
        ctx.save_for_backward(w_ih, w_hh, inps, *gates, *coefs)
        ctx.full, ctx.steps = full, len(hs)
        return torch.stack(hs, dim=2) if full else hs[-1]

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[Any, ...]:
        w_ih, w_hh, inps, *rest = ctx.saved_tensors
        steps = ctx.steps
        gates, coefs = rest[:steps], rest[steps:]
        k, n_in, hidden = w_hh.shape[0], w_ih.shape[-1], w_hh.shape[-1]
        # the recurrent rows of the combined weights: [W_hr; W_hz; 0; W_hn]
        w_h = w_hh.new_zeros(k, 4 * hidden, hidden)
        w_h[:, : 2 * hidden], w_h[:, 3 * hidden :] = w_hh[:, : 2 * hidden], w_hh[:, 2 * hidden :]
        dpres = w_hh.new_empty(k, steps, inps.shape[2], 4 * hidden)
        need_x = ctx.needs_input_grad[0]
        dxs: list[torch.Tensor] = []
        dh = grad[:, :, -1] if ctx.full else grad
        for t in range(steps - 1, -1, -1):
            r, z = gates[t].chunk(2, dim=-1)
            e_r, e_z, e_n = coefs[t].chunk(3, dim=-1)
            dpre = dpres[:, t]
            d_r, d_z, d_in, d_hn = dpre.chunk(4, dim=-1)
            torch.mul(dh, e_r, out=d_r)
            torch.mul(dh, e_z, out=d_z)
            torch.mul(dh, e_n, out=d_in)
            torch.mul(d_in, r, out=d_hn)
            if need_x:
                dxs.append(torch.bmm(dpre[..., : 3 * hidden], w_ih))
            if t > 0:
                dh = torch.baddbmm(dh * z, dpre, w_h)
                if ctx.full:
                    dh = dh + grad[:, :, t - 1]
        dx = torch.stack(dxs[::-1], dim=2) if need_x else None
        d_w = _weight_grad(dpres, inps)
        d_b = d_w[..., n_in]
        d_b_ih = d_b[:, : 3 * hidden]
        d_b_hh = torch.cat([d_b[:, : 2 * hidden], d_b[:, 3 * hidden :]], dim=1)
        d_w_hh = torch.cat([d_w[:, : 2 * hidden, n_in + 1 :], d_w[:, 3 * hidden :, n_in + 1 :]], dim=1)
        return dx, d_w[:, : 3 * hidden, :n_in], d_w_hh, d_b_ih, d_b_hh, None
