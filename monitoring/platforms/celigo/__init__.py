"""The celigo health adapter: see adapter.py and README.md beside it."""
