"""Runs of a phase-two workaround: when each is due (cadence.py), confirming one by page, signed
link or ping (confirm.py, links.py), and the reminder sent on the due day (reminders.py)."""
