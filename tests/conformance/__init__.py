"""Conformance tests: the doc's tables (``tests/doc_tables.py``) held against every door.

Every test here that sends a request takes ``api`` (or ``closed``, ``strict``, ``moderated``,
which open the same door over a backend configured otherwise, through ``api_for``): all of
them hang on the one ``door`` fixture, which ``tests/conftest.py`` parametrizes with every
door of ``tests/doors.py`` (wire, asgi, live, respx, respx-async, httpx2, httpx2-patched,
requests), or with those ``--doors=...`` names.

Loop-heavy tests (a full bucket, 103 images of paging) run through every door too: the
slowest takes about 0.15 s on its slowest door. Only these stay off the doors, each for a
reason given where it is:

- ``test_auth.py``: whitespace-only and whitespace-padded credentials use the ``wire`` door,
  because HTTP clients refuse to send header values with leading or trailing blanks.
- ``test_pricing.py::test_money__ten_thousand_charges_do_not_drift`` charges the backend
  directly: it is about exact decimal arithmetic, and 10,000 requests through the socket
  door alone would take seconds.
- Tests that only call ``MediaBackend`` methods (custom limits refused, blank keys) use no
  door at all.
"""
