"""Danger first: the emergency numbers every form shows, and the words that say someone is
in danger now (someone in the water, a fire, a fight or a weapon, a person collapsed or
bleeding, a lost child). A message naming one is raised to urgent: the visitor's page leads
with "call now", and staff get the urgent alert.

The words are the starter list here plus the unit's own (`Unit.danger_words`, one a line).
Chinese words match as written; English words and phrases match as whole words, a hyphen
counting as part of a word, so "fire" is not found in "fire-red maple" nor "fight" in
"fought". A line starting with "!" is an exception: text around it is ignored (for "水枪",
"火烧云" and other everyday words that contain a danger word). `bench/danger.py` measures
how often this is right on a labelled set of park messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from app.models.org import DEFAULT_EMERGENCY_NUMBERS

STARTER_WORDS = """
# someone in the water
落水
掉进水
掉水里
掉进湖
掉湖里
掉进河
溺水
淹着
快淹
救命
drowning
drowned
fell into the water
fell in the water
fell into the lake
fell in the lake
in the water and
someone in the water
person in the water
child in the water
kid in the water
help!
# fire
着火
起火
失火
火灾
大火
烧起来
冒烟起火
!火烧云
on fire
fire
flames
burning
# a fight or a weapon
斗殴
打人
群殴
持刀
拿刀
动刀
行凶
砍人
捅人
开枪
枪声
fight
fighting
knife
stabbed
stabbing
gun
gunshot
weapon
!water gun fight
!water fight
!snowball fight
!pillow fight
!water gun
!fire-red
!fire hydrant
!fire extinguisher
!fire exit
!fire station
# a person collapsed or bleeding
晕倒
昏倒
昏迷
倒地不起
不省人事
流血
出血
心脏病
抽搐
没有呼吸
没呼吸
collapsed
unconscious
not breathing
bleeding
heart attack
seizure
# a lost child
孩子走丢
小孩走丢
孩子丢了
小孩丢了
孩子不见了
小孩不见了
找不到孩子
走失
lost child
lost my child
missing child
child is missing
can't find my child
cannot find my child
# electricity, gas
触电
漏电
燃气泄漏
煤气泄漏
electric shock
gas leak
"""


@dataclass(frozen=True)
class EmergencyNumber:
    number: str
    label_zh: str
    label_en: str

    def label(self, language: str) -> str:
        return self.label_en if language.startswith("en") and self.label_en else self.label_zh


def parse_emergency_numbers(text: str | None) -> list[EmergencyNumber]:
    """Lines "110 报警 Police": the number (digits), a Chinese and an optional English label."""
    numbers = []
    for line in (text if text is not None else DEFAULT_EMERGENCY_NUMBERS).splitlines():
        parts = line.split()
        if not parts or not re.fullmatch(r"\+?[0-9]{2,15}", parts[0]):
            continue
        zh = parts[1] if len(parts) > 1 else parts[0]
        numbers.append(EmergencyNumber(parts[0], zh, " ".join(parts[2:])))
    return numbers


def emergency_numbers_problem(text: str) -> str | None:
    """Why these lines are not a usable list (None when they are)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return "empty"
    if len(parse_emergency_numbers(text)) != len(lines):
        return "format"
    return None


def _word_pattern(word: str) -> str:
    if re.search(r"[\u3400-\u9fff]", word):
        return re.escape(word)
    # whole words: no letter, digit or hyphen on either side
    return r"(?<![\w-])" + re.escape(word) + r"(?![\w-])"


@lru_cache(maxsize=64)
def _compiled(words_text: str) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    dangers, exceptions = [], []
    for raw in words_text.splitlines():
        word = raw.strip().lower()
        if not word or word.startswith("#"):
            continue
        if word.startswith("!"):
            if word[1:].strip():
                exceptions.append(_word_pattern(word[1:].strip()))
        else:
            dangers.append(_word_pattern(word))
    return (re.compile("|".join(dangers)) if dangers else None,
            re.compile("|".join(exceptions)) if exceptions else None)


def danger_words_of(unit_words: str | None) -> str:
    return STARTER_WORDS + "\n" + (unit_words or "")


def names_a_danger(text: str, unit_words: str | None = None) -> str | None:
    """The first danger word the text names (None: none), after removing exceptions."""
    danger, exception = _compiled(danger_words_of(unit_words))
    if danger is None:
        return None
    lowered = " ".join((text or "").lower().split())
    if exception is not None:
        lowered = exception.sub(" ", lowered)
    match = danger.search(lowered)
    return match.group(0).strip() if match else None


def urgent_reason(danger: str | None, category_urgent: bool) -> str | None:
    """Why a case taken in is urgent ("words": its text names a danger, the word given;
    "category": its category is urgent), or None."""
    if danger:
        return "words"
    return "category" if category_urgent else None
