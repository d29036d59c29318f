"""``python -m app [--host H] [--port P] [--workers N]``: serve the API (what ``make run`` runs)."""

from __future__ import annotations

import sys

# uvicorn starts extra workers with multiprocessing's spawn, which imports this module again in each
# of them under another name: only the process started from the command line serves.
if __name__ == "__main__":
    from app.cli import run_command

    sys.exit(run_command("serve", sys.argv[1:], prog="python -m app"))
