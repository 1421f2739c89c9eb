"""An in-memory platform: records every send. Used by the tests and by ``mlq demo``."""

from adapters.memory.adapter import MemoryAdapter, Sent

__all__ = ["MemoryAdapter", "Sent"]
