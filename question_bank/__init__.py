"""The question bank: schema, loading with readable errors, and the selection policy."""

from question_bank.loader import (
    BankError,
    BankProblem,
    QuestionBank,
    load_bank,
    parse_bank_file,
    validate_paths,
)
from question_bank.schema import TOPICS, Format, KeyPoint, Kind, NumericAnswer, Option, Question
from question_bank.selection import NoEligibleQuestion, choose_question, eligible_questions

__all__ = [
    "TOPICS",
    "BankError",
    "BankProblem",
    "Format",
    "KeyPoint",
    "Kind",
    "NoEligibleQuestion",
    "NumericAnswer",
    "Option",
    "Question",
    "QuestionBank",
    "choose_question",
    "eligible_questions",
    "load_bank",
    "parse_bank_file",
    "validate_paths",
]
