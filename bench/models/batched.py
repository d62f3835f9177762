"""The batched trainer: K independent nets of one architecture trained together, each as if alone.

The same algorithm as :func:`bench.models.torch_loop.train_split`, run on K stacked nets
(:mod:`bench.models.stacked`). Each net keeps its initialisation, its windows, its shuffling (its
own generator seeded like the loop's), its batch size, learning rate and schedule, weight decay,
gradient clipping (per-net norm), epochs (a warm-started net trains ``finetune_epochs`` beside
fresh ones), early stopping (a stopped net is masked, its best weights kept) and divergence
checks (a diverging net fails alone). Windows are padded to the longest series and masked; a
net's loss is the mean over its own real rows. Epochs are aligned: at each step every net still
training takes its next mini-batch of the epoch, and a net whose epoch has no batch left waits.
Results equal one-at-a-time training up to floating-point reassociation (measured in the README).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from bench.models.base import ModelError
from bench.models.likelihoods import likelihood as make_likelihood
from bench.models.stacked import NetDropout, Stack, StackedForward, StackedOptimizer, forward_of
from bench.models.torch_loop import DIVERGED_FACTOR, TrainConfig, TrainLog


class NotBatchable(RuntimeError):
    """The nets cannot run stacked (e.g. a user module with dropout or batch norm under ``vmap``)."""


@dataclass(frozen=True)
class Job:
    """One net's share of a batch: its training and validation windows, settings and dropout stream."""

    X_tr: np.ndarray  # (n_tr, window)
    y_tr: np.ndarray  # (n_tr,) the next value after each window
    X_val: np.ndarray
    y_val: np.ndarray
    cfg: TrainConfig
    warm: bool = False
    rng_state: torch.Tensor | None = None  # torch's global RNG state the net would train under alone
    dropout: float = 0.0  # the recurrent net's dropout rate (a user module's dropout is not batched)


@dataclass
class _Net:
    """Book-keeping of one net while the batch trains: the loop's local variables, per net."""

    job: Job
    lr: float
    best: float = math.inf
    kept: int = 0
    stale: int = 0
    has_best: bool = False
    done: bool = False
    error: ModelError | None = None
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)

    def fail(self, why: str) -> None:
        self.done, self.error = True, ModelError(why)

    def trained(self, epoch: int, loss: float, bad: float | None, limit: float) -> None:
        """The end of an epoch's training part: divergence checks, then the lr schedule."""
        cfg = self.job.cfg
        self.train_loss.append(loss)
        if bad is not None:
            why = f"loss is {bad} (lr={cfg.lr}; try a lower lr or grad_clip)"
            self.fail(f"training diverged at epoch {epoch + 1}: {why}")
        elif loss > limit:
            self.fail(
                f"training diverged at epoch {epoch + 1}: loss {loss:.3g} is over {DIVERGED_FACTOR:.0e} x "
                f"that of a zero forecast (lr={cfg.lr}; try a lower lr)"
            )
        elif cfg.lr_step is not None and (epoch + 1) % cfg.lr_step == 0:
            self.lr *= cfg.lr_gamma  # torch's StepLR, chained: lr × gamma every lr_step epochs

    def validated(self, epoch: int, v: float) -> bool:
        """Early stopping on the validation loss; True when these weights become the kept ones."""
        cfg = self.job.cfg
        if not math.isfinite(v):
            self.fail(f"training diverged at epoch {epoch + 1}: validation loss is {v}")
            return False
        self.val_loss.append(v)
        if v < self.best:
            self.best, self.kept, self.stale = v, epoch, 0
            self.has_best = self.has_best or cfg.patience is not None
            return cfg.patience is not None
        self.stale += 1
        self.done = cfg.patience is not None and self.stale >= cfg.patience
        return False


def _padded(arrays: Sequence[np.ndarray], width: int, device: torch.device) -> torch.Tensor:
    """(K, longest, width) float32 (or (K, longest) when width is 0), zero-padded."""
    longest = max(1, max(len(a) for a in arrays))
    out = np.zeros((len(arrays), longest, width) if width else (len(arrays), longest), dtype=np.float32)
    for k, a in enumerate(arrays):
        out[k, : len(a)] = a
    return torch.as_tensor(out, device=device)


class _Batch:
    """The stacked nets, their padded windows and the per-net state of one batched fit."""

    def __init__(
        self, arch: object, nets: Sequence[nn.Module], jobs: Sequence[Job], device: torch.device
    ) -> None:
        cfg0 = jobs[0].cfg
        if any(j.cfg.optimizer != cfg0.optimizer or j.cfg.likelihood != cfg0.likelihood for j in jobs):
            raise ValueError("one batch needs one optimizer and one likelihood")
        self.jobs, self.device, self.k = jobs, device, len(jobs)
        self.lik = make_likelihood(cfg0.likelihood)
        self.forward: StackedForward = forward_of(arch, nets[0])
        self.stack = Stack(nets, device)
        width = jobs[0].X_tr.shape[1]
        self.x_tr = _padded([j.X_tr for j in jobs], width, device)
        self.y_tr = _padded([j.y_tr for j in jobs], 0, device)
        self.x_val = _padded([j.X_val for j in jobs], width, device)
        self.y_val = _padded([j.y_val for j in jobs], 0, device)
        self.n_tr = [len(j.X_tr) for j in jobs]
        self.n_val = [len(j.X_val) for j in jobs]
        self.opt = StackedOptimizer(
            self.stack.flat, cfg0.optimizer, [j.cfg.lr for j in jobs], [j.cfg.weight_decay for j in jobs]
        )
        self.clip = torch.tensor(
            [math.inf if j.cfg.grad_clip is None else j.cfg.grad_clip for j in jobs], device=device
        )
        self.gens = [torch.Generator().manual_seed(j.cfg.seed) for j in jobs]
        self.drops = [_dropout_gen(j) for j in jobs]
        self.rates = [j.dropout for j in jobs]

    def run(
        self,
        flat: torch.Tensor,
        x: torch.Tensor,
        train: bool,
        drop: NetDropout | None,
        sel: torch.Tensor | None,
    ) -> torch.Tensor:
        """The forward of the nets ``sel`` (all when None) on x (len(sel), batch, window)."""
        buffers = self.stack.buffers if sel is None else {n: b[sel] for n, b in self.stack.buffers.items()}
        return self.forward(self.stack.params(flat if sel is None else flat[sel]), buffers, x, train, drop)

    def probe(self) -> None:
        """One training-mode forward on one window per net; a module ``vmap`` cannot batch is refused."""
        try:
            with torch.no_grad():
                self.run(self.stack.flat, self.x_tr[:, :1], True, None, None)
        except Exception as exc:  # noqa: BLE001 - any failure here means: not batchable as written
            raise NotBatchable(f"{type(exc).__name__}: {exc}") from exc

    @torch.no_grad()
    def evaluate(self, nets: list[int]) -> list[float]:
        """Validation loss of the listed nets: MSE (or NLL) summed over each net's rows / count."""
        sel = torch.tensor(nets, device=self.device)
        out = self.run(self.stack.flat, self.x_val[sel], False, None, sel)
        y = self.y_val[sel]
        rows = ((out - y).double() ** 2) if self.lik.name == "none" else self.lik.row_loss(out, y).double()
        counts = torch.tensor([self.n_val[k] for k in nets], device=self.device)
        valid = torch.arange(rows.shape[1], device=self.device)[None, :] < counts[:, None]
        return (torch.where(valid, rows, 0.0).sum(dim=1) / counts).cpu().tolist()

    def epoch(self, active: list[int]) -> tuple[list[float], list[float | None]]:
        """One epoch of the ``active`` nets: each shuffles its windows with its own generator and
        takes its mini-batches in order; a net without a batch left at a step does not move.

        Returns each net's summed training loss (batch loss × rows, as the loop's) and its first
        non-finite batch loss (None if none); a net stops stepping at its first non-finite loss."""
        order, rows = self._order(active)
        dev, act = self.device, torch.tensor(active, device=self.device)
        idx, counts = torch.as_tensor(order, device=dev), torch.as_tensor(rows, device=dev)
        alive = torch.ones(self.k, dtype=torch.bool, device=dev)
        first_bad = torch.full((self.k,), math.nan, dtype=torch.float64, device=dev)
        totals = torch.zeros(self.k, dtype=torch.float64, device=dev)
        flat = self.stack.flat
        for step in range(order.shape[1]):
            part = np.flatnonzero(rows[:, step] > 0)
            whole = len(part) == self.k
            sel = act if len(part) == len(active) else act[torch.as_tensor(part, device=dev)]
            pos = torch.as_tensor(part, device=dev)
            n = counts[pos, step].to(self.x_tr.dtype)
            x = self.x_tr[sel[:, None], idx[pos, step]]
            y = self.y_tr[sel[:, None], idx[pos, step]]
            drop = None
            ids = [active[i] for i in part]
            if any(self.rates[k] > 0 for k in ids):
                drop = NetDropout(
                    [self.drops[k] for k in ids], [self.rates[k] for k in ids], rows[part, step].tolist()
                )
            out = self.run(flat, x, True, drop, None if whole else sel)
            valid = torch.arange(x.shape[1], device=dev)[None, :] < n[:, None]
            loss = torch.where(valid, self.lik.row_loss(out, y), 0.0).sum(dim=1) / n
            was = alive[sel]
            ok = torch.isfinite(loss) & was
            first_bad[sel] = torch.where(was & ~ok, loss.detach().double(), first_bad[sel])
            alive[sel] = ok
            flat.grad = None
            torch.where(ok, loss, 0.0).sum().backward()
            stepping = torch.zeros(self.k, dtype=torch.bool, device=dev)
            stepping[sel] = ok
            self.opt.clip(self.clip)
            self.opt.step(stepping)
            totals[sel] += torch.where(ok, loss.detach().double() * n.double(), 0.0)
        t, a, b = totals.cpu().tolist(), alive.cpu().tolist(), first_bad.cpu().tolist()
        return [t[k] for k in range(self.k)], [None if a[k] else b[k] for k in range(self.k)]

    def _order(self, active: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Every active net's shuffled window indices by step (A, steps, width) and rows per step."""
        perms = [torch.randperm(self.n_tr[k], generator=self.gens[k]).numpy() for k in active]
        sizes = [self.jobs[k].cfg.batch_size for k in active]
        steps = [-(-len(p) // b) for p, b in zip(perms, sizes, strict=True)]
        width = max(min(b, len(p)) for p, b in zip(perms, sizes, strict=True))
        order = np.zeros((len(active), max(steps), width), dtype=np.int64)
        rows = np.zeros((len(active), max(steps)), dtype=np.int64)
        for i, (p, b, s) in enumerate(zip(perms, sizes, steps, strict=True)):
            for j in range(s):
                chunk = p[j * b : (j + 1) * b]
                order[i, j, : len(chunk)], rows[i, j] = chunk, len(chunk)
        return order, rows


def train_batch(
    arch: object, nets: Sequence[nn.Module], jobs: Sequence[Job], device: torch.device
) -> list[TrainLog | ModelError]:
    """Train ``nets[k]`` on ``jobs[k]`` for every k together; the trained (best) weights are written
    back into each net that succeeds, a net that fails gets its :class:`ModelError` instead.

    Every job shares ``optimizer`` and ``likelihood``; call inside ``torch_loop.reproducible``.
    Raises :class:`NotBatchable` (before training) when the nets cannot run stacked.
    """
    b = _Batch(arch, nets, jobs, device)
    b.probe()
    state = [_Net(j, j.cfg.lr, kept=j.cfg.epochs - 1) for j in jobs]
    for k, s in enumerate(state):
        if b.n_tr[k] < 1:
            s.fail(f"{b.n_val[k]} windows leave none for training after validation")
    best = b.stack.flat.detach().clone()
    starts = [
        k for k, s in enumerate(state) if s.job.warm and s.job.cfg.patience and b.n_val[k] and not s.done
    ]
    for k, value in zip(starts, b.evaluate(starts) if starts else [], strict=True):
        state[k].best, state[k].kept, state[k].has_best = value, -1, True  # the start is a candidate
    limit = [
        DIVERGED_FACTOR * max(1.0, float((b.y_tr[k, : b.n_tr[k]].double() ** 2).mean())) for k in range(b.k)
    ]

    for epoch in range(max(j.cfg.epochs for j in jobs)):
        active = [k for k, s in enumerate(state) if not s.done]
        if not active:
            break
        totals, bad = b.epoch(active)
        for k in active:
            state[k].trained(epoch, totals[k] / b.n_tr[k], bad[k], limit[k])
        val = [k for k in active if not state[k].done and b.n_val[k]]
        improved = [
            k
            for k, v in zip(val, b.evaluate(val) if val else [], strict=True)
            if state[k].validated(epoch, v)
        ]
        if improved:
            rows = torch.tensor(improved, device=device)
            best[rows] = b.stack.flat.detach()[rows]
        for k in active:
            state[k].done = state[k].done or epoch + 1 >= jobs[k].cfg.epochs
        b.opt.lr = [s.lr for s in state]

    out: list[TrainLog | ModelError] = []
    for k, (s, net) in enumerate(zip(state, nets, strict=True)):
        if s.error is not None:
            out.append(s.error)
            continue
        b.stack.write(best if s.has_best else b.stack.flat, k, net)
        net.eval()
        out.append(
            TrainLog(tuple(s.train_loss), tuple(s.val_loss), s.kept if s.has_best else len(s.train_loss) - 1)
        )
    return out


def _dropout_gen(job: Job) -> torch.Generator:
    """The CPU generator holding the random stream the net's dropout draws from when alone."""
    gen = torch.Generator()
    if job.rng_state is not None:
        gen.set_state(job.rng_state)
    return gen
