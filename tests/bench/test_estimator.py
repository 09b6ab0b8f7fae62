"""pass@k against values computed by hand from 1 - C(n-c,k)/C(n,k)."""

import pytest

from mobile_agent.bench.estimator import mean_pass_at_k, pass_at_k


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (5, 0, 1, 0.0),
        (5, 5, 3, 1.0),
        (5, 2, 1, 0.4),  # 1 - 3/5
        (5, 2, 2, 0.7),  # 1 - C(3,2)/C(5,2) = 1 - 3/10
        (10, 3, 5, 1 - 21 / 252),  # C(7,5)=21, C(10,5)=252
        (4, 1, 4, 1.0),  # n-c < k: any 4 of 4 include the success
        (20, 1, 1, 0.05),
        (3, 1, 2, 1 - 1 / 3),  # C(2,2)=1, C(3,2)=3
    ],
)
def test_pass_at_k_hand_values(n: int, c: int, k: int, expected: float) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)


def test_pass_at_1_is_success_rate() -> None:
    for n in range(1, 8):
        for c in range(n + 1):
            assert pass_at_k(n, c, 1) == pytest.approx(c / n)


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="at least 3 attempts"):
        pass_at_k(2, 1, 3)
    with pytest.raises(ValueError):
        pass_at_k(2, 3, 1)
    with pytest.raises(ValueError):
        pass_at_k(2, 1, 0)


def test_mean_over_tasks_skips_short_ones() -> None:
    # (5,2)@2 = 0.7, (2,0)@2 = 0.0, (1,1) skipped for k=2
    assert mean_pass_at_k([(5, 2), (2, 0), (1, 1)], 2) == pytest.approx(0.35)
    assert mean_pass_at_k([(1, 1)], 2) is None
