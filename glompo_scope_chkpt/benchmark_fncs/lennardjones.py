"""``LennardJones``: the energy of a cluster of atoms under the Lennard-Jones potential [WD]."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._validation import require_count
from ._base import BaseTestCase

__all__ = ["LennardJones"]

_CLUSTER_MINIMA = {
    5: -9.103852,
    6: -12.712062,
    7: -16.505384,
    8: -19.821489,
    9: -24.113360,
    10: -28.422532,
    11: -32.765970,
    12: -37.967600,
    13: -44.326801,
    14: -47.845157,
    15: -52.322627,
    16: -56.815742,
    17: -61.317995,
    18: -66.530949,
    19: -72.659782,
    20: -77.177043,
}
"""Lowest energies of clusters of 5 to 20 atoms in three dimensions [WD]."""


class LennardJones(BaseTestCase):
    """The energy of ``atoms`` atoms in ``dims`` dimensions, in reduced units [WD].

    ``E = 4 sum_{i<j} (r_ij^-12 - r_ij^-6)``, ``r_ij`` the distance between atoms ``i`` and
    ``j``. The parameters are the coordinates, atom after atom: there are ``atoms * dims`` of
    them, and that is :attr:`dims` (the constructor's ``dims`` is the space's dimension).

    Bounds ``[-L, L]`` with ``L = atoms^(1/dims)``, room for the compact lowest clusters.
    Minimum: ``-n (n - 1) / 2`` when the ``n`` atoms can all sit at the potential's best
    distance ``2^(1/6)`` from each other (``n <= dims + 1``); the published energies [WD] for
    5 to 20 atoms in three dimensions; else :attr:`min_fx` is ``None``. :attr:`min_x` is
    ``None``: the published minimisers are coordinate files (Cambridge Cluster Database).

    Parameters
    ----------
    atoms
        Number of atoms, >= 2.
    dims
        Dimension of the space the atoms move in.
    delay
        See :class:`.BaseTestCase`.
    """

    def __init__(self, atoms: int = 2, dims: int = 3, *, delay: float = 0.0) -> None:
        self.atoms = require_count("LennardJones atoms", atoms, 2)
        self.space_dims = require_count("LennardJones dims", dims)
        super().__init__(self.atoms * self.space_dims, delay=delay)
        reach = float(self.atoms ** (1 / self.space_dims))
        self._range = (-reach, reach)

    def _pairs(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        positions = x.reshape(self.atoms, self.space_dims)
        i, j = np.triu_indices(self.atoms, k=1)
        delta = positions[i] - positions[j]
        return delta, np.sqrt(np.sum(delta**2, axis=1))

    def _evaluate(self, x: np.ndarray) -> float:
        _, r = self._pairs(x)
        with np.errstate(divide="ignore", over="ignore"):
            inverse6 = r**-6.0
            return float(4 * np.sum(inverse6 * (inverse6 - 1)))  # +inf for atoms on each other

    def jacobian(self, x: Sequence[float] | np.ndarray) -> np.ndarray:
        """The gradient of the energy with respect to the coordinates, shape ``(atoms * dims,)``."""
        point = np.asarray(x, dtype=float)
        delta, r = self._pairs(point)
        slope = 4 * (-12 * r**-13.0 + 6 * r**-7.0)  # dE/dr for each pair
        force = (slope / r)[:, None] * delta
        gradient = np.zeros((self.atoms, self.space_dims))
        i, j = np.triu_indices(self.atoms, k=1)
        np.add.at(gradient, i, force)
        np.add.at(gradient, j, -force)
        return gradient.ravel()

    def _minimum(self) -> float | None:
        if self.atoms <= self.space_dims + 1:
            return -self.atoms * (self.atoms - 1) / 2
        return _CLUSTER_MINIMA.get(self.atoms) if self.space_dims == 3 else None

    def __repr__(self) -> str:
        return f"LennardJones(atoms={self.atoms}, dims={self.space_dims})"
