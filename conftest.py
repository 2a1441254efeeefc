"""Test-session setup shared by the test suite and the doctests."""

import os

import pytest
from hypothesis import settings

# scikit-learn's array-API estimator check runs only when SciPy's array-API mode is
# on; it has to be set before SciPy is first imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

# Hypothesis profiles. "ci" draws the same examples on every run, so a red CI run
# is reproduced by running it again (print_blob also prints the failing example's
# @reproduce_failure blob); it keeps no example database, which would replay
# examples from earlier runs. "dev" searches afresh on every local run. Tests'
# own @settings override only what they name and inherit the rest from here, so
# this module must load the profile before the test modules are imported.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True,
                          database=None)
settings.register_profile("dev")
_on_ci = os.environ.get("CI", "").lower() not in ("", "0", "false")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if _on_ci else "dev"))


# Dask clusters for the tests of the estimators on dask arrays: bound to
# 127.0.0.1, no dashboard, started once per test module and closed after it.
# distributed is imported only when a test asks for a cluster, and the tests skip
# where it is absent (it is the optional extra `dask`).


def _local_cluster(processes):
    pytest.importorskip("dask.array")
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=processes,
        # in-process workers would talk over distributed's "inproc" transport,
        # which has no host; TCP on the loopback for both kinds
        protocol="tcp://",
        host="127.0.0.1",
        # None still starts the scheduler's HTTP server (health routes), on
        # port 8787 of every interface; a free port on the loopback instead
        dashboard_address="127.0.0.1:0",
    )
    return cluster, distributed.Client(cluster)


@pytest.fixture(scope="module")
def dask_client():
    """A distributed client over two single-threaded workers in this process."""
    cluster, client = _local_cluster(processes=False)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def dask_process_client():
    """A distributed client over two worker processes: everything sent to a
    worker is pickled."""
    cluster, client = _local_cluster(processes=True)
    yield client
    client.close()
    cluster.close()


@pytest.fixture
def client(dask_client):
    """The in-process cluster's client, current for the test (dask computes there)."""
    with dask_client.as_current():
        yield dask_client


@pytest.fixture
def process_client(dask_process_client):
    """The worker processes' client, current for the test."""
    with dask_process_client.as_current():
        yield dask_process_client
