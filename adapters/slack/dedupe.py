"""A bounded memory of what this process has already taken on.

The database is the judge of exactly-once (the core records every delivery); this only
saves work when Slack retries an event this process is still handling or has just handled.
A key whose handling failed is released so that Slack's next retry is processed.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable


class RecentKeys:
    def __init__(self, capacity: int = 20_000) -> None:
        self.capacity = capacity
        self._keys: OrderedDict[Hashable, None] = OrderedDict()

    def claim(self, *keys: Hashable | None) -> bool:
        """True if none of the keys was seen; then all of them are remembered."""
        present = [k for k in keys if k is not None]
        if any(k in self._keys for k in present):
            return False
        for key in present:
            self._keys[key] = None
        while len(self._keys) > self.capacity:
            self._keys.popitem(last=False)
        return True

    def release(self, *keys: Hashable | None) -> None:
        for key in keys:
            if key is not None:
                self._keys.pop(key, None)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)
