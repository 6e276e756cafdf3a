"""The IT-managed system configuration (read-only for the planner), the network setting
and the log file."""
