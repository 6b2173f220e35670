"""Ids from the backend's one seeded RNG: the same seed gives the same ids, run after run."""

from __future__ import annotations

import random
from collections.abc import Callable

from .assumptions import BASE62, ID_LENGTH

_SIZE = float(len(BASE62))


class IdFactory:
    """Draws ``prefix`` + 12 base62 characters (decision 22), never repeating one it drew."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._draws = (rng.random,) * ID_LENGTH
        self._issued: set[str] = set()

    def new(self, prefix: str, taken: Callable[[str], bool] | None = None) -> str:
        """A fresh id; ``taken`` lets the caller veto ids that exist elsewhere."""
        while True:
            # What ``rng.choices(BASE62, k=ID_LENGTH)`` draws, without its argument handling.
            value = prefix + "".join([BASE62[int(draw() * _SIZE)] for draw in self._draws])
            if value not in self._issued and not (taken and taken(value)):
                self._issued.add(value)
                return value
