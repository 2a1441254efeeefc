"""Dask arrays: recognising them, checking them, and map-reduce over row blocks.

dask is an optional extra (``pip install sknn-math[dask]``). Nothing here imports
it unless the caller already has: :func:`is_dask_array` looks in
``sys.modules``, so the NumPy path of every estimator pays one dictionary
lookup, and a user without dask never loads it.

The estimators' dask paths share these pieces:

- :func:`is_dask_array` — the cheap dispatch test at the top of ``fit`` and
  ``predict``;
- :func:`check_dask_array` — known chunk sizes, 2-D, whole rows per block;
- :func:`check_row_aligned` — a per-sample array (``y``, ``sample_weight``) as a
  dask array blocked like ``X``'s rows;
- :func:`map_row_blocks` — a function of each row block into a lazy dask
  array, the block's first row index passed along (for error messages);
- :func:`reduce_row_blocks` — a function of each row block, its small results
  summed on the workers in a tree, one result to the client;
- :func:`collect_row_blocks` — a function of each row block, every result to
  the client in block order;
- :func:`broadcast` — a value every block needs (a codebook, weights) sent
  once, not once per task.
"""

import numbers
import sys

import numpy as np

__all__ = [
    "broadcast",
    "check_dask_array",
    "check_row_aligned",
    "collect_row_blocks",
    "is_dask_array",
    "map_row_blocks",
    "reduce_row_blocks",
]


def is_dask_array(X):
    """Whether ``X`` is a ``dask.array.Array``; never imports dask.

    If ``dask.array`` has not been imported, no object can be a dask array.
    """
    da = sys.modules.get("dask.array")
    return da is not None and isinstance(X, da.Array)


def _unknown_chunks(X):
    return any(
        isinstance(size, float) and np.isnan(size)
        for sizes in X.chunks
        for size in sizes
    )


def check_dask_array(X, *, name="X", ndim=2, dtype=None):
    """``X`` checked for the block-wise paths; returns it, whole rows per block.

    A dask array of unknown chunk sizes (after boolean indexing, say) cannot be
    aligned with its sample weights nor split into epochs: a ``ValueError``
    names the cure, ``X.compute_chunk_sizes()``. A 2-D array split along its
    columns is rechunked lazily so that every block holds whole rows. ``dtype``
    (a list, as in ``validate_data``): the first entry unless ``X``'s dtype is
    among them. Complex data are an error.
    """
    if _unknown_chunks(X):
        raise ValueError(
            f"{name} is a dask array of unknown chunk sizes (as after boolean "
            "indexing). Call X.compute_chunk_sizes() (or X.persist() then "
            "X.compute_chunk_sizes()) before passing it."
        )
    if X.ndim != ndim:
        raise ValueError(
            f"Expected a {ndim}-D dask array for {name}, got one of shape {X.shape}."
        )
    if 0 in X.shape:
        raise ValueError(
            f"{name} is an empty dask array of shape {X.shape}; at least one "
            "sample and one feature are required."
        )
    if np.issubdtype(X.dtype, np.complexfloating):
        raise ValueError(f"Complex data not supported in {name}.")
    if not (np.issubdtype(X.dtype, np.number) or X.dtype == np.bool_):
        raise ValueError(
            f"{name} is a dask array of dtype {X.dtype}; numeric data are required."
        )
    if dtype is not None and X.dtype not in [np.dtype(d) for d in dtype]:
        X = X.astype(dtype[0])
    if ndim == 2 and len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    return X


def check_row_aligned(X, values, *, name="sample_weight", dtype=np.float64):
    """``values`` (one per row of ``X``) as a 1-D dask array blocked like ``X``.

    A NumPy array or a number is split along ``X``'s row chunks; a dask array
    must already be: its chunk sizes known, its length and row blocks those of
    ``X`` (else a ``ValueError`` naming the cure, ``rechunk``). None stays None.
    """
    if values is None:
        return None
    import dask.array as da

    if isinstance(values, numbers.Number):
        return da.full(X.shape[0], values, dtype=dtype, chunks=(X.chunks[0],))
    if not is_dask_array(values):
        values = np.asarray(values, dtype=dtype)
        if values.shape != (X.shape[0],):
            raise ValueError(
                f"{name} has shape {values.shape}; X has {X.shape[0]} samples, so "
                f"{name} needs shape ({X.shape[0]},)."
            )
        return da.from_array(values, chunks=(X.chunks[0],))
    if _unknown_chunks(values):
        raise ValueError(
            f"{name} is a dask array of unknown chunk sizes; call "
            f"{name}.compute_chunk_sizes() first."
        )
    if values.ndim != 1 or values.shape[0] != X.shape[0]:
        raise ValueError(
            f"{name} has shape {values.shape}; X has {X.shape[0]} samples, so "
            f"{name} needs shape ({X.shape[0]},)."
        )
    if values.chunks[0] != X.chunks[0]:
        raise ValueError(
            f"The blocks of {name} {values.chunks[0]} do not match X's row blocks "
            f"{X.chunks[0]}: every block of X needs its own {name}. Rechunk one of "
            f"them, e.g. {name}.rechunk(X.chunks[0])."
        )
    return values.astype(dtype)


def _row_offsets(X):
    return np.concatenate([[0], np.cumsum(X.chunks[0])]).tolist()


def map_row_blocks(func, X, *others, args=(), dtype, n_columns=None):
    """Lazy dask array of ``func(start, X_block, *other_blocks, *args)`` per block.

    ``start`` is the index of the block's first row in ``X``; ``others`` are
    dask arrays blocked like ``X``'s rows (1-D or 2-D), and ``args`` small values
    sent with every task (or :func:`broadcast` futures). ``func`` returns an
    array of the block's rows: 1-D when ``n_columns`` is None, else
    (rows, n_columns).
    """
    import dask.array as da

    offsets = _row_offsets(X)

    def run(X_block, *other_blocks, block_id=None):
        return func(offsets[block_id[0]], X_block, *other_blocks, *args)

    chunks = (X.chunks[0],) if n_columns is None else (X.chunks[0], (n_columns,))
    return da.map_blocks(
        run,
        X,
        *others,
        dtype=dtype,
        chunks=chunks,
        drop_axis=1 if n_columns is None else [],
        meta=np.empty((0,) * len(chunks), dtype=dtype),
    )


def _block_tasks(func, X, others, args):
    import dask

    offsets = _row_offsets(X)
    X_blocks = X.to_delayed().ravel()
    other_blocks = [
        [None] * len(X_blocks) if other is None else other.to_delayed().ravel()
        for other in others
    ]
    task = dask.delayed(func, pure=True)
    return [
        task(offsets[b], X_blocks[b], *(blocks[b] for blocks in other_blocks), *args)
        for b in range(len(X_blocks))
    ]


def collect_row_blocks(func, X, *others, args=()):
    """``[func(start, X_block, *other_blocks, *args) for every block]``, computed.

    As :func:`reduce_row_blocks` but every block's result comes to the client,
    in block order (a per-row result such as labels, to concatenate).
    """
    import dask

    return list(dask.compute(*_block_tasks(func, X, others, args)))


def reduce_row_blocks(func, X, *others, args=(), combine=None, split_every=8):
    """``Σ_blocks func(start, X_block, *other_blocks, *args)``, computed.

    ``func`` returns a tuple of NumPy arrays and numbers (lists concatenate);
    the tuples of the blocks are added element-wise on the workers,
    ``split_every`` at a time, so the client receives one tuple whatever the
    number of blocks. ``combine(*tuples)`` replaces the sum (a minimum, say).
    ``others`` are dask arrays blocked like ``X``'s rows, or None for an absent
    one (the block function then receives None).
    """
    import dask

    parts = _block_tasks(func, X, others, args)
    combine = dask.delayed(_add_tuples if combine is None else combine, pure=True)
    while len(parts) > 1:
        parts = [
            combine(*parts[i:i + split_every])
            for i in range(0, len(parts), split_every)
        ]
    (result,) = dask.compute(parts[0])
    return result


def _add_tuples(*parts):
    """Element-wise sum of tuples of arrays and numbers, in their order."""
    total = list(parts[0])
    for part in parts[1:]:
        for k, value in enumerate(part):
            total[k] = total[k] + value
    return tuple(total)


def broadcast(value):
    """``value`` as one node of the task graph, for every block's task to share.

    The tasks that take it depend on one key instead of each carrying a copy:
    the client sends it once, and a worker fetches it once, however many
    blocks it runs. Unlike data scattered to the workers it stays in the graph,
    so a worker that dies takes no irreplaceable copy with it.
    """
    import dask

    return dask.delayed(value, pure=True)
