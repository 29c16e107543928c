"""Extension points: where a lower layer lets the domains above it add to what it does.

The layers (``pyproject.toml``, ``[tool.importlinter]``) let a module import only the layers
below it. When a lower domain's operation must reach records of a higher one — a user's
personal-data export lists the agreements they own, erasing a contact takes their name out of
training attendee lists — the lower domain declares a ``Hook`` here and the higher domain
registers its part at import time, next to the code it runs. Every registration is a
decorated function named for what it adds, so ``grep -rn "register" coordapp`` lists them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class Hook(Generic[P, R]):
    """A named list of functions of one signature, run in registration order."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._functions: list[Callable[P, R]] = []

    def register(self, function: Callable[P, R]) -> Callable[P, R]:
        if function not in self._functions:
            self._functions.append(function)
        return function

    def run(self, *args: P.args, **kwargs: P.kwargs) -> list[R]:
        return [function(*args, **kwargs) for function in self._functions]

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self._functions)} registered>"
