"""./dev bench --storm: paced menu callers while others log in flat out at bcrypt cost 12.

Code and PIN checks are pure CPU for hundreds of milliseconds each. This
measures whether a menu key still answers at once while they run: `menus`
callers press a key every `think` seconds, `logins` callers log in remotely
(line number, right code) as fast as they are answered, both at once.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from benchmarks import load
from benchmarks.provision import Provisioned

MENU_P99_TARGET_MS = 50.0
CODE_WAIT_TARGET_S = 10.0


def run(
    base: str, made: Provisioned, menus: int, logins: int, seconds: float, think: float
) -> load.Tally:
    """Both kinds of callers at once for `seconds`; their latencies, by step kind."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        paced = pool.submit(load.run, base, "menu", made.without_code, menus, seconds, think)
        storm = pool.submit(load.run, base, "code", made.with_code, logins, seconds, 0.0, 2)
        total = paced.result()
        total.add(storm.result())
    return total
