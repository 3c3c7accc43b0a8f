import sys

from .cli import _run_process

if __name__ == "__main__":
    sys.exit(_run_process())
