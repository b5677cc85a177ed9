"""What ships for the demo, the tests and the bench: the GitHub Actions simulator (`simulator`), the demo
world and script (`simworld`, `demo`), `quartz serve` and `quartz bench`.
"""
