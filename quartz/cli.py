"""Command line entry point (being filled in)."""


def main(argv=None) -> int:
    return 0
