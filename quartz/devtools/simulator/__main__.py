"""`python -m quartz.devtools.simulator --port N --seed S`: serve the sample world for manual poking."""

from __future__ import annotations

import argparse
import sys
import threading

from .sample import sample_world
from .server import SimulatorServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m quartz.devtools.simulator", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the simulated world")
    parser.add_argument("--token", default="sim-token", help="token clients must send")
    args = parser.parse_args(argv)
    server = SimulatorServer(sample_world(args.seed), token=args.token, port=args.port).start()
    print(f"GitHub simulator at {server.url} (token from --token; Ctrl-C to stop)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
