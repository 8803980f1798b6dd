"""Did-you-mean: the names a misspelt one was probably meant to be.

Two questions, two answers:

- ``close_matches`` feeds messages ("did you mean ...?"): the likeliest names, best first.
- ``unique_match`` feeds fixes: the one name the word is a typo of, or None when that is not
  clear. A fix may only rewrite a name when exactly one candidate is that close: the same
  name in other letter case, or the only candidate at the smallest edit distance (one
  insertion, deletion, substitution or swap of neighbours; two for long names), with every
  other candidate farther away.
"""

from __future__ import annotations

import difflib

CUTOFF = 0.75  # difflib ratio below which a name is not suggested at all


def close_matches(word: str, candidates, n: int = 1, cutoff: float = CUTOFF) -> list[str]:
    """Up to ``n`` candidates close to ``word``, best first: one that differs only in letter
    case comes before any other (difflib's ratio ranks "ViltImageProcessor" above
    "ViTImageProcessor" for "VitImageProcessor")."""
    if not isinstance(word, str) or not word:
        return []
    pool = [c for c in candidates if isinstance(c, str)]
    low = word.lower()
    folded = [c for c in pool if len(c) == len(word) and c.lower() == low and c != word]
    rest = difflib.get_close_matches(word, pool, n=n + len(folded), cutoff=cutoff)
    return list(dict.fromkeys([*sorted(folded), *rest]))[:n]


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (insertions, deletions, substitutions and swaps of
    neighbouring characters), or ``limit + 1`` once it is known to exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _limit(word: str) -> int:
    return 1 if len(word) < 12 else 2


def unique_match(word: str, candidates) -> str | None:
    """The single candidate ``word`` is a typo of, or None (no candidate close enough, or
    two equally close: "gpt" is as near to "gpt2" as to "gptj")."""
    if not isinstance(word, str) or not word:
        return None
    pool = {c for c in candidates if isinstance(c, str)}
    if word in pool:
        return None
    low = word.lower()
    folded = [c for c in pool if len(c) == len(word) and c.lower() == low]
    if folded:
        return folded[0] if len(folded) == 1 else None
    limit = _limit(word)
    scored = sorted((d, c) for c in pool if (d := edit_distance(word, c, limit)) <= limit)
    if not scored:
        return None
    best = scored[0][0]
    winners = [c for d, c in scored if d == best]
    return winners[0] if len(winners) == 1 else None
