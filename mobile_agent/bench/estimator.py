"""pass@k with the unbiased estimator (Chen et al. 2021): 1 - C(n-c, k) / C(n, k).

With n attempts of which c succeeded, this is the probability that at least one of k attempts
drawn without replacement from the n succeeds. Computed with exact integers, so it is exact for
any n a benchmark runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from math import comb

__all__ = ["mean_pass_at_k", "pass_at_k"]


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from n attempts with c successes. Raises ValueError when k > n."""
    if n < 0 or c < 0 or k < 1:
        raise ValueError(f"need n >= 0, c >= 0, k >= 1; got n={n}, c={c}, k={k}")
    if c > n:
        raise ValueError(f"successes c={c} exceed attempts n={n}")
    if k > n:
        raise ValueError(f"pass@{k} needs at least {k} attempts per task, got n={n}")
    if n - c < k:
        return 1.0
    return float(1 - Fraction(comb(n - c, k), comb(n, k)))


def mean_pass_at_k(counts: Iterable[tuple[int, int]], k: int) -> float | None:
    """Average pass@k over tasks given (n, c) per task; tasks with n < k are skipped.

    Returns None when no task has enough attempts.
    """
    values = [pass_at_k(n, c, k) for n, c in counts if n >= k]
    return sum(values) / len(values) if values else None
