"""Contract tests: the generated OpenAPI document against the doc, the core and real answers."""
