"""Thin doors over the wire handler. Import each explicitly, so optional dependencies stay lazy."""
