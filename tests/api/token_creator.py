"""One `policy-ledger token create` caller, as a separate OS process, creating tokens the
way the command does (the same function, on a wiring of its own).

Usage: python token_creator.py '{"database_url", "count", "name", "start_at", "out"}'

Waits until `start_at` (a time.time() moment shared by all creators, so they race), then
creates `count` reader tokens and writes them, one a line, to `out`.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from api.bootstrap import build_services
from api.security import Role, create_token
from api.settings import Settings


def main(args: dict[str, object]) -> None:
    ledger = build_services(Settings(database_url=str(args["database_url"])))
    try:
        time.sleep(max(0.0, float(args["start_at"]) - time.time()))  # type: ignore[arg-type]
        tokens = [
            create_token(ledger.tokens, f"{args['name']}-{i}", Role.READER)[0]
            for i in range(int(args["count"]))  # type: ignore[call-overload]
        ]
    finally:
        ledger.close()
    Path(str(args["out"])).write_text("\n".join(tokens) + "\n")


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
