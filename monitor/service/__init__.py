"""The service shell: config -> seeds -> profiles (`loading`), wiring the parts (`app`), the
daemon and its reload (`daemon`), the one-instance lock file (`lock`), the wall clock (`clock`),
health and metrics over HTTP (`httpserver`, `metrics`), systemd's sd_notify (`notify`) and log
formats (`logsetup`). `loading`, `lock` and `clock` import little, for the light commands.

May import: everything below the commands (core, config, store, the stages, pipeline).
"""
