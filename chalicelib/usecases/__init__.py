"""Use cases: each takes the Services, the tenant id and parsed input, and returns plain data."""
