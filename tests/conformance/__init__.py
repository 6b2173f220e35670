"""Conformance tests: the doc's tables (``tests/doc_tables.py``) held against every door."""
