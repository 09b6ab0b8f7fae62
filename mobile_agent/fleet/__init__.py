"""A phone fleet across many hosts: Ray places work next to each phone, PostgreSQL holds the truth.

- `host`: `mobile-agent host --cluster ADDRESS`: this machine joins the Ray cluster as a node of
  its own and serves each of its phones with one actor pinned to that node (`actor`).
- `replica`: `mobile-agent serve --cluster ADDRESS --db-url postgresql+psycopg://...`: any
  number of API replicas share one PostgreSQL store; phones are leased with row locks
  (`SELECT ... FOR UPDATE SKIP LOCKED`) and fencing tokens (`leases`).
- `sink`: a running task's events (and screenshots) go straight into the store, buffered
  (bounded) through a store outage.

Nothing here is imported by a plain `serve`: Ray and psycopg are the optional `fleet` extra.
"""

__all__: list[str] = []
