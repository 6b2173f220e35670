"""mock-media's pytest plugin: fixtures over the in-process doors and the live server.

Nothing here is for import by users: the plugin registers itself through the ``pytest11``
entry point named ``mock_media``.
"""
