"""GitHub's REST API as Quartz uses it: the client (`client`: pagination, conditional requests,
rate-limit waits, retries that never repeat a POST) and the repositories a token must reach (`fleetrepos`).
"""
