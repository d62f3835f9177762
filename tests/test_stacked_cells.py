"""The stacked recurrent forward (LSTM/GRU: hand-written backward): each net's output and gradient
equal torch's own for that net alone."""

from __future__ import annotations

import pytest
import torch

from bench.models.recurrent import RecurrentArch
from bench.models.stacked import Stack, recurrent_forward

# Measured: forward ≤ 1e-7 and gradients ≤ 2e-6 apart (float32 rounding: tanh as 2 sigmoid(2x) - 1,
# the weights' gradient summed in one matmul); a wrong term in the backward is ≫ 1e-4.
TOL = 1e-4


def lone_grads(nets, x, y):
    out = torch.stack([net(x[k]) for k, net in enumerate(nets)])
    ((out - y) ** 2).sum().backward()
    return out.detach(), torch.stack([torch.cat([p.grad.reshape(-1) for p in n.parameters()]) for n in nets])


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize(("layers", "head"), [(1, ()), (2, (5,))])
def test_stacked_layers_give_each_nets_own_output_and_gradient(cell, layers, head):
    torch.manual_seed(0)
    arch = RecurrentArch(cell, 8, layers, 0.0, head)
    nets = [arch.build(1, 7) for _ in range(3)]
    stack = Stack(nets, torch.device("cpu"))
    x, y = torch.randn(3, 16, 7), torch.randn(3, 16)
    out = recurrent_forward(arch, stack.params(stack.flat), x, None)
    ((out - y) ** 2).sum().backward()
    want_out, want_grad = lone_grads(nets, x, y)
    torch.testing.assert_close(out.detach(), want_out, rtol=TOL, atol=TOL)
    torch.testing.assert_close(stack.flat.grad, want_grad, rtol=TOL, atol=TOL)
    with torch.no_grad():  # the untraced path (validation) computes the same forward
        again = recurrent_forward(arch, stack.params(stack.flat), x, None)
    torch.testing.assert_close(again, want_out, rtol=TOL, atol=TOL)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_net_gets_no_gradient_from_the_others(cell):
    torch.manual_seed(1)
    arch = RecurrentArch(cell, 4)
    stack = Stack([arch.build(1, 5) for _ in range(3)], torch.device("cpu"))
    out = recurrent_forward(arch, stack.params(stack.flat), torch.randn(3, 6, 5), None)
    out[1].sum().backward()  # only net 1's output counts
    grad = stack.flat.grad
    assert grad[1].abs().sum() > 0
    assert torch.equal(grad[0], torch.zeros_like(grad[0])) and torch.equal(grad[2], torch.zeros_like(grad[2]))
