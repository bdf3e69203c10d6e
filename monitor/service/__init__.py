"""The service shell: wiring the parts (`app`), the daemon and its reload (`daemon`), the
one-instance lock, health and metrics over HTTP (`httpserver`, `metrics`), systemd's
sd_notify (`notify`) and log formats (`logsetup`).

May import: everything below the commands (core, config, store, the stages, pipeline).
"""
