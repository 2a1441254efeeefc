"""Control of NumPy's BLAS threads, shared by every network."""

from functools import cache

from threadpoolctl import ThreadpoolController


@cache
def _controller():
    # Building the controller inspects every loaded library: do it once.
    return ThreadpoolController()


def single_threaded_blas():
    """Context in which NumPy's BLAS runs on one thread.

    The hot loops are chains of small matrix products (one per batch, time step or
    chunk). A multi-threaded BLAS cannot speed those up: waking and synchronising
    its threads costs more than the product, and on a busy machine a descheduled
    worker stalls every call (fits 20× slower were measured on two shared cores).
    scikit-learn's KMeans limits BLAS the same way for its small products.
    """
    return _controller().limit(limits=1, user_api="blas")
