"""The informatica health adapter: see adapter.py and README.md beside it."""
