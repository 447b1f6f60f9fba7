"""Names that say nothing, in two disjoint vocabularies: one for training bases, one for held-out bases.

A student that learned a few function names has not learned to read; so the curriculum's function, fact,
rule and stage names are drawn at random from word pools (``verb_noun``, ``noun_quality``) or made of
random syllables (non-words). Every pool is split in two, and the two halves share no word and no syllable
consonant, so no held-out name can be written with training words. No pool holds a word of a shipped task's
functions or facts (tests read the recorded bases): held-back checks play other tasks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

VERBS = (
    "assemble balance block carry chase circle climb collect cover cross defend dodge escort explore fetch flank "
    "follow gather guard herd hold hunt launch lead load mark measure merge patrol pivot probe push rally reach "
    "refuel repair rescue retreat return steer scan scout seal search shadow shield signal sort sweep swap trace "
    "track tow unload vault wait wander"
).split()
NOUNS = (
    "gate unit cargo perimeter exit tower beacon convoy crate valve lever bell lamp ramp dock hatch barrel ladder "
    "anchor sail engine pump cable kettle furnace orchard meadow harbor lantern compass vessel quarry bucket pulley "
    "drawer mirror"
).split()
QUALITIES = "open locked low high empty full ready lit raised loaded frozen flooded jammed charged armed sealed".split()
RULE_WORDS = "curfew toll fog storm blackout drought embargo flood ration speed_cap lockdown silence".split()
STAGE_WORDS = "assess plan rank settle gauge weigh sift tally review screen sense judge".split()
VOWELS = "aeiou"
ALL_WORDS = frozenset(VERBS + NOUNS + QUALITIES + STAGE_WORDS + [w for r in RULE_WORDS for w in r.split("_")])
CONSONANTS = ("bdfgkl", "mnprstvz")  # train, held out: a non-word's consonants tell its half


@dataclass(frozen=True)
class Vocabulary:
    """One half of every pool; all names of one base are drawn from one vocabulary."""

    verbs: tuple[str, ...]
    nouns: tuple[str, ...]
    qualities: tuple[str, ...]
    rules: tuple[str, ...]
    stages: tuple[str, ...]
    consonants: str

    def nonword(self, rng: np.random.Generator) -> str:
        """Two or three consonant-vowel syllables: pronounceable, meaningless (never a pool's word)."""
        while True:
            syllables = int(rng.integers(2, 4))
            word = "".join(
                str(rng.choice(list(self.consonants))) + str(rng.choice(list(VOWELS))) for _ in range(syllables)
            )
            if word not in ALL_WORDS:
                return word

    def _pick(self, rng: np.random.Generator, pool: tuple[str, ...]) -> str:
        return str(pool[int(rng.integers(len(pool)))])

    def function_name(self, rng: np.random.Generator) -> str:
        """``verb_noun`` mostly; a third of the time a non-word takes one or both places."""
        roll = rng.random()
        verb = self.nonword(rng) if roll < 0.2 else self._pick(rng, self.verbs)
        noun = self.nonword(rng) if 0.1 < roll < 0.35 else self._pick(rng, self.nouns)
        return f"{verb}_{noun}"

    def fact_name(self, rng: np.random.Generator) -> str:
        """``noun_quality``, the noun sometimes a non-word."""
        noun = self.nonword(rng) if rng.random() < 0.25 else self._pick(rng, self.nouns)
        return f"{noun}_{self._pick(rng, self.qualities)}"

    def rule_fact(self, rng: np.random.Generator) -> str:
        """The fact of a rule in force, named as every task names it: ``<kind>_in_force``."""
        kind = self._pick(rng, self.rules)
        if rng.random() < 0.5:
            kind = f"{self._pick(rng, self.nouns)}_{kind}"
        return f"{kind}_in_force"

    def stage(self, rng: np.random.Generator) -> str:
        return self.nonword(rng) if rng.random() < 0.2 else self._pick(rng, self.stages)

    def words(self) -> set[str]:
        """Every whole word this half writes names with (non-words aside)."""
        return {w for pool in (self.verbs, self.nouns, self.qualities, self.stages) for w in pool} | {
            w for r in self.rules for w in r.split("_")
        }


def _half(i: int) -> Vocabulary:
    return Vocabulary(
        tuple(VERBS[i::2]),
        tuple(NOUNS[i::2]),
        tuple(QUALITIES[i::2]),
        tuple(RULE_WORDS[i::2]),
        tuple(STAGE_WORDS[i::2]),
        CONSONANTS[i],
    )


VOCABULARIES = {"train": _half(0), "heldout": _half(1)}
