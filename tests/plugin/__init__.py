"""The pytest plugin, run as its users run it: inner pytest sessions through ``pytester``."""
