"""The bounding passes run on a Dask cluster (a LocalCluster here) and give the same
certified result as the in-process run."""

from __future__ import annotations

import numpy as np
import pytest
from certify_zoo import smooth_data

from lptrain.certify import certify_erm, solve_face_lazy
from lptrain.certify.distributed import DaskBounder, connect
from lptrain.discretize import to_grid
from lptrain.errors import InvalidInputError
from lptrain.nn import dense

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                       dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.mark.parametrize(("method", "batch"), [("boxes", 256), ("patterns", 8)])
def test_same_certificate_as_local(client, method, batch):
    X, Y = smooth_data(120, seed=7)
    net = dense([2, 1, 1])
    local = certify_erm(net, "abs", X, Y, target_gap=0.01, progress=False, batch=batch,
                        method=method)
    dask = certify_erm(net, "abs", X, Y, target_gap=0.01, progress=False, batch=batch,
                       cluster=client, method=method)
    assert dask.method == local.method == method
    assert dask.status == local.status == "target reached"
    assert dask.nodes == local.nodes and dask.rounds == local.rounds
    assert abs(dask.lower_bound - local.lower_bound) <= 1e-12
    assert abs(dask.best_value - local.best_value) <= 1e-12
    assert np.array_equal(dask.phi, local.phi)


def test_lazy_face_on_the_cluster(client):
    X, Y = smooth_data(20, seed=8)
    Xt, Yt = to_grid(X, 4), to_grid(Y, 4)
    net = dense([2, 1, 1])
    a = solve_face_lazy(net, "abs", Xt, Yt, 4, progress=False)
    b = solve_face_lazy(net, "abs", Xt, Yt, 4, progress=False, cluster=client)
    assert b.status == "optimal" and abs(a.lp_value - b.lp_value) <= 1e-12


def test_chunks_cover_the_batch(client):
    X, Y = smooth_data(10, seed=9)
    net = dense([2, 1, 1])
    b = DaskBounder(client, net, "abs", X, Y, min_chunk=1)
    lo = np.full((7, 5), -0.5)
    out = b(lo, lo + 0.1, lo + 0.05)
    assert out.lower.shape == (7,) and b.slots == 2


def test_connect_messages():
    with pytest.raises(InvalidInputError, match="cluster must be a scheduler address"):
        connect(42)
