"""Likelihood heads for the torch nets: the net emits raw parameters, the likelihood does the rest.

The shape of darts' ``GaussianLikelihood`` and GluonTS' ``distr_output``: a net with a likelihood
outputs ``n_params`` raw numbers per window; the likelihood object maps them to the distribution's
parameters (scales through softplus, Student-t degrees of freedom above 2), owns the training loss
(the negative log-likelihood, DeepAR-style) and gives the mean, the variance and draws for
ancestral sampling of multi-step paths. ``none`` is the point net trained on MSE, unchanged.

Losses are torch (they are trained through); mean, variance and sampling work on numpy arrays of
the constrained parameters, so forecasts draw from a seeded numpy generator on any device.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F

NAMES = ("none", "gaussian", "student_t")
MIN_SCALE = 1e-6  # keeps a softplus scale strictly positive in float32
MIN_DF_EXCESS = 1e-3  # degrees of freedom stay above 2 + this, so the variance is finite


class Point:
    """``likelihood: none``: one output, the next value; trained on MSE (today's nets)."""

    name: ClassVar[str] = "none"
    n_params: ClassVar[int] = 1

    def loss(self, raw: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Mean squared error over the rows (``nn.MSELoss``: the numbers of the point nets)."""
        return F.mse_loss(raw, y)

    def row_loss(self, raw: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Squared error per row (the batched trainer averages each net's real rows itself)."""
        return (raw - y) ** 2

    def mean(self, raw: np.ndarray) -> np.ndarray:
        return np.asarray(raw, dtype=float).reshape(-1)


class Gaussian:
    """Normal(μ, σ) with σ = softplus(raw scale); the NLL is trained, μ is the point forecast."""

    name: ClassVar[str] = "gaussian"
    n_params: ClassVar[int] = 2

    def params(self, raw: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return raw[..., 0], F.softplus(raw[..., 1]) + MIN_SCALE

    def row_loss(self, raw: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        mu, sigma = self.params(raw)
        return 0.5 * math.log(2 * math.pi) + torch.log(sigma) + 0.5 * ((y - mu) / sigma) ** 2

    def loss(self, raw: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.row_loss(raw, y).mean()

    def numpy_params(self, raw: np.ndarray) -> tuple[np.ndarray, ...]:
        r = np.asarray(raw, dtype=float)
        return r[..., 0], _softplus(r[..., 1]) + MIN_SCALE

    def mean(self, raw: np.ndarray) -> np.ndarray:
        return self.numpy_params(raw)[0]

    def var(self, raw: np.ndarray) -> np.ndarray:
        return self.numpy_params(raw)[1] ** 2

    def df(self, raw: np.ndarray) -> np.ndarray | None:
        return None

    def sample(self, raw: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        mu, sigma = self.numpy_params(raw)
        return mu + sigma * rng.standard_normal(mu.shape)


class StudentT:
    """Student-t(μ, σ, ν) with σ = softplus, ν = 2 + softplus (> 2: a finite variance σ²ν/(ν−2))."""

    name: ClassVar[str] = "student_t"
    n_params: ClassVar[int] = 3

    def params(self, raw: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return (
            raw[..., 0],
            F.softplus(raw[..., 1]) + MIN_SCALE,
            2.0 + MIN_DF_EXCESS + F.softplus(raw[..., 2]),
        )

    def row_loss(self, raw: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        mu, sigma, nu = self.params(raw)
        z = (y - mu) / sigma
        return (
            torch.lgamma(nu / 2)
            - torch.lgamma((nu + 1) / 2)
            + 0.5 * torch.log(nu * math.pi)
            + torch.log(sigma)
            + (nu + 1) / 2 * torch.log1p(z**2 / nu)
        )

    def loss(self, raw: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.row_loss(raw, y).mean()

    def numpy_params(self, raw: np.ndarray) -> tuple[np.ndarray, ...]:
        r = np.asarray(raw, dtype=float)
        return r[..., 0], _softplus(r[..., 1]) + MIN_SCALE, 2.0 + MIN_DF_EXCESS + _softplus(r[..., 2])

    def mean(self, raw: np.ndarray) -> np.ndarray:
        return self.numpy_params(raw)[0]

    def var(self, raw: np.ndarray) -> np.ndarray:
        _, sigma, nu = self.numpy_params(raw)
        return sigma**2 * nu / (nu - 2.0)

    def df(self, raw: np.ndarray) -> np.ndarray | None:
        return self.numpy_params(raw)[2]

    def sample(self, raw: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        mu, sigma, nu = self.numpy_params(raw)
        return mu + sigma * rng.standard_t(nu)


Likelihood = Point | Gaussian | StudentT
_BY_NAME: dict[str, type[Likelihood]] = {c.name: c for c in (Point, Gaussian, StudentT)}


def likelihood(name: str) -> Likelihood:
    """The likelihood object of a ``likelihood:`` setting (``none`` | ``gaussian`` | ``student_t``)."""
    if name not in _BY_NAME:
        raise ValueError(f"likelihood must be one of {list(NAMES)}, got {name!r}")
    return _BY_NAME[name]()


def _softplus(x: np.ndarray) -> np.ndarray:
    """torch's softplus in float64 (log1p(exp(x)), linear above 20 as torch's threshold)."""
    return np.where(x > 20.0, x, np.log1p(np.exp(np.minimum(x, 20.0))))
