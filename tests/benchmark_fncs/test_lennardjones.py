"""``LennardJones``: cluster energies, their gradient, and the lowest published clusters."""

from __future__ import annotations

import numpy as np
import pytest

from glompo_scope_chkpt.benchmark_fncs import LennardJones

R_BEST = 2 ** (1 / 6)


def test_two_atoms_at_the_best_distance_have_energy_minus_one():
    pair = LennardJones(atoms=2, dims=3)
    assert pair.dims == 6 and len(pair.bounds) == 6
    assert pair([0, 0, 0, R_BEST, 0, 0]) == pytest.approx(-1.0)
    assert pair([0, 0, 0, 1, 0, 0]) == pytest.approx(0.0)  # r = sigma
    assert pair([0, 0, 0, 1.5, 0, 0]) > -1 and pair([0, 0, 0, 1.05, 0, 0]) > -1


def test_a_triangle_and_a_tetrahedron_of_best_distances_are_the_minima():
    triangle = LennardJones(atoms=3, dims=2)
    corners = R_BEST * np.array([[0, 0], [1, 0], [0.5, np.sqrt(3) / 2]])
    assert triangle(corners.ravel()) == pytest.approx(triangle.min_fx) == pytest.approx(-3.0)
    tetrahedron = LennardJones(atoms=4, dims=3)
    vertices = R_BEST / np.sqrt(2) * np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]])
    assert tetrahedron(vertices.ravel()) == pytest.approx(tetrahedron.min_fx)
    assert tetrahedron.min_fx == -6.0


def test_the_jacobian_matches_finite_differences():
    cluster = LennardJones(atoms=5, dims=3)
    x = np.random.default_rng(0).uniform(-1.2, 1.2, 15)
    step = 1e-6
    numeric = [(cluster(x + step * e) - cluster(x - step * e)) / (2 * step) for e in np.eye(len(x))]
    np.testing.assert_allclose(cluster.jacobian(x), numeric, rtol=1e-5, atol=1e-6)


def test_a_relaxed_icosahedron_reaches_the_published_13_atom_minimum():
    optimize = pytest.importorskip("scipy.optimize")
    golden = (1 + np.sqrt(5)) / 2
    vertices = [
        (0, s1, s2 * golden) for s1 in (-1, 1) for s2 in (-1, 1)
    ]  # the icosahedron: cyclic permutations of (0, +-1, +-phi), plus its centre
    shell = np.array([np.roll(v, k) for v in vertices for k in range(3)], dtype=float)
    start = np.vstack([[0.0, 0.0, 0.0], shell * R_BEST / 2])
    cluster = LennardJones(atoms=13, dims=3)
    found = optimize.minimize(cluster, start.ravel(), jac=cluster.jacobian, method="BFGS")
    assert found.fun == pytest.approx(cluster.min_fx, abs=1e-6)
    assert cluster.min_fx == -44.326801
    assert np.all(np.abs(found.x) < cluster.bounds[0][1])


def test_repr_and_pickle():
    import pickle

    cluster = LennardJones(atoms=10, dims=3)
    assert repr(cluster) == "LennardJones(atoms=10, dims=3)"
    x = np.random.default_rng(1).uniform(-2, 2, 30)
    assert pickle.loads(pickle.dumps(cluster))(x) == cluster(x)
