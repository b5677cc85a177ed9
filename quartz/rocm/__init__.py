"""ROCm/Quartz interop: TheRock's notify_quartz reports in (`ingest`, `therock`) and ROCm/Quartz's
release-nightly status.json out (`statusjson`).
"""
