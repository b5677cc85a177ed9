"""Cascades: the pure engine (`engine`), its state in the store (`state`), advance with exactly-once
dispatch (`advance`), finding runs on GitHub (`lookup`), start/cancel/retry by hand (`admin`), the commands
(`commands`) and `quartz status` (`status`).
"""
