"""The feedback outbox: what a person is owed for an answer, owed durably.

The reaction and the private grade are recorded in the transaction that stores the answer
(``record``), then sent exactly once by whichever process holds them (``pay``), even when
the process that stored the answer is killed before it sends (``pay_overdue``) or the
platform delivers the answer again (``pay_redelivered``).
"""

from bot.outbox.owed import PRIVATE, REACTION, Debt, Owed, Recipient, record
from bot.outbox.pay import pay, pay_overdue, pay_redelivered, prune

__all__ = [
    "PRIVATE",
    "REACTION",
    "Debt",
    "Owed",
    "Recipient",
    "pay",
    "pay_overdue",
    "pay_redelivered",
    "prune",
    "record",
]
