"""Quiz rounds: questions answered by a pick or a number and graded exactly.

The grading lives in ``bot.grading.exact`` (``grade_answer`` dispatches to it); this
package holds what a quiz round says (``render``), how a channel voted (``votes``) and
which formats a channel gets (``formats``).
"""
