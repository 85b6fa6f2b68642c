"""Conversation prompts: each reminder carries the next one of its habit.

The prompts of a habit are dealt like a shuffled deck: no prompt repeats
until all of them were used, then a new round is shuffled (never starting
with the prompt that ended the last one). The deck lives in the state, so the
order survives restarts.
"""

from __future__ import annotations

from habitd.habits.config import Habit
from habitd.habits.state import PromptDeck, State


def _new_round(n: int, seed: int, avoid_first: int | None) -> list[int]:
    import random  # only when a round is dealt: off the command line's hot path

    order = list(range(n))
    random.Random(seed).shuffle(order)
    if n > 1 and order[0] == avoid_first:
        order[0], order[1] = order[1], order[0]
    return order


def _valid(deck: PromptDeck, n: int) -> bool:
    return sorted(deck.order) == list(range(n)) and 0 <= deck.next <= n


def next_prompt(state: State, habit: Habit, seed: int) -> str | None:
    """Deal the habit's next prompt (changes the state); None if it has none."""
    n = len(habit.prompts)
    if n == 0:
        return None
    deck = state.prompts.get(habit.id)
    if deck is None or not _valid(deck, n) or deck.next >= n:
        last = deck.order[-1] if deck is not None and _valid(deck, n) else None
        deck = PromptDeck(_new_round(n, seed, last), 0)
        state.prompts[habit.id] = deck
    prompt = habit.prompts[deck.order[deck.next]]
    deck.next += 1
    return prompt


def current_prompt(state: State, habit: Habit) -> str | None:
    """The prompt dealt last, or None if none was dealt in this round's deck yet."""
    deck = state.prompts.get(habit.id)
    if not habit.prompts or deck is None or not _valid(deck, len(habit.prompts)) or deck.next == 0:
        return None
    return habit.prompts[deck.order[deck.next - 1]]
