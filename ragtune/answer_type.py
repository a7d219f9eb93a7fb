"""What kind of answer a question asks for, and whether a sentence holds one: the oldest check in question
answering (expected answer type), used here to decline what the documents cannot answer.

"Phí trọng tài là bao nhiêu tiền?" asks for an amount. Retrieval finds the statute on arbitration fees and
the small model states a number from somewhere, or invents one; but if no sentence of the retrieved passages
that speaks of the question's subject holds a number at all, the documents do not give the amount. Only
questions that plainly ask for a quantity are typed ("bao nhiêu", "bao lâu", "mấy ngày", "how much", "how
many", "how long"); every other question is left to the other answerability scores. References to other
provisions ("khoản 2 Điều 5", "Article 12") and list markers are not quantities.
"""

from __future__ import annotations

import re
import unicodedata

from ragtune.citations import CITATION

# a question asks for a quantity: an amount, a count, a duration, a share
ASKS_QUANTITY = re.compile(
    r"\bbao\s+nhiêu\b|\bbao\s+lâu\b|\bmấy\s+\w+|\bhow\s+(?:much|many|long|often)\b|\bwhat\s+percentage\b",
    re.IGNORECASE,
)
# a provision, a list item or a law's number: a number that is not an answer
REFERENCE = re.compile(
    r"\b(?:điều|khoản|điểm|chương|mục|phần|tiết|phụ\s+lục|luật\s+số|số|article|clause|section|chapter|annex|no\.?)"
    r"\s+\d+\w*(?:[./-]\w+)*",
    re.IGNORECASE,
)
LIST_MARKER = re.compile(r"^\s*(?:[-*•]\s*)?\d+[.)]\s", re.MULTILINE)
DIGITS = re.compile(r"\d")
_VI_NUMBERS = r"một|hai|ba|bốn|tư|năm|sáu|bảy|tám|chín|mười|mươi|trăm|nghìn|ngàn|triệu|tỷ|tỉ|nửa|rưỡi"
_EN_NUMBERS = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|"
               r"thousand|million|half|twice")  # fmt: skip
_UNITS = (r"ngày|tháng|năm|tuần|giờ|phút|lần|tuổi|người|đồng|phần|kỳ|buổi|ca|"
          r"days?|months?|years?|weeks?|hours?|minutes?|times|people|percent")  # fmt: skip
# a number in words with what it counts ("ba mươi ngày", "một nửa tháng lương", "two weeks")
NUMBER_WORDS = re.compile(rf"\b(?:{_VI_NUMBERS}|{_EN_NUMBERS})(?:\s+(?:{_VI_NUMBERS}|{_EN_NUMBERS}))*\s+(?:{_UNITS})\b",
                          re.IGNORECASE)  # fmt: skip


def asks_quantity(question: str) -> bool:
    """Whether the question plainly asks for a quantity (an amount, a count, a duration, a share)."""
    return bool(ASKS_QUANTITY.search(_nfc(question)))


def holds_quantity(text: str) -> bool:
    """Whether the text states a quantity: a number that is not a reference to a provision, a list marker or a
    citation ([n]), or a number written in words with what it counts."""
    text = LIST_MARKER.sub(" ", REFERENCE.sub(" ", CITATION.sub(" ", _nfc(text))))
    return bool(DIGITS.search(text) or NUMBER_WORDS.search(text))


def _nfc(text: str) -> str:  # ragtune.prompt.nfc, which this module cannot import (prompt -> evidence -> here)
    return unicodedata.normalize("NFC", text)
