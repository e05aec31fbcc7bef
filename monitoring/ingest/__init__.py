"""What comes in: heartbeats pushed to Plumbline (pings accepted, then applied as runs), runs
pulled from status URLs and platforms (polling), and what platforms list as running (discovery).
Everything here hands its observations to monitoring.health.pipeline to be stored."""
