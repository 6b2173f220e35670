"""Scripted scenarios: the format (``test_format``), each bundled scenario's documented effect
through every door (``test_bundled``), every way of putting one in force and the transport
faults (``test_activation``), and the determinism of a run under ``bad-day``
(``test_determinism``). ``agent.py`` is the small agent the last two run.
"""
