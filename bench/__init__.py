"""Benchmarks of mock-media against bare baselines measured in the same run (``make bench``).

Every figure is a ratio: the candidate (a door of the fake, the fake's server, its start-up)
against a baseline doing the least the same job needs (a bare respx route, a bare requests
adapter, a minimal Starlette app on the same uvicorn), run alternately on the same machine,
medians compared. Nothing here is collected by the test suite (pytest looks in ``tests/`` only,
and no module here is named ``test_*``). See ``docs/performance.md``.
"""
