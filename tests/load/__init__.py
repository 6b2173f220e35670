"""Load and abuse tests over loopback (marker ``load``): many clients at once against a real
``mock-media serve`` and the in-process doors, hostile clients on raw sockets, and accounts
that try to reach each other's jobs and media. They assert counts, balances and statuses,
never timings. Short by default; ``MOCK_MEDIA_LOAD_SECONDS=10`` runs the full-length version.
"""
