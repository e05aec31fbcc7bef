"""Alerts: planned from flips, claimed and sent exactly once, escalated when nobody acknowledges."""
