"""Rollouts for training GUI agents: verified trajectories, Pass@k group rewards, step rewards,
and a dataset a trainer loads (`mobile-agent rollout`, `mobile-agent eval-steps`).

Built beside the framework on the benchmark and the virtual phone; the framework never imports it.
"""

__all__: list[str] = []
