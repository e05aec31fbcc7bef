"""The demo estate `manage.py seed_demo` loads: spec files under specs/, loaded by estate.py."""
