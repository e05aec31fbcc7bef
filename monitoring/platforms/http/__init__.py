"""The http status URL adapter: see adapter.py and README.md beside it."""
