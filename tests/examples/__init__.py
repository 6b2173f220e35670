"""The Media API doc's workflows, written as an agent author would write them against the real
API (``import requests``, the doc's host names and key), and tested with the plugin's fixtures.

Each module reproduces one section of the doc; nothing in the agent code knows it is talking to
a fake.
"""
