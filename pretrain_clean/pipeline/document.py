"""The one document type every stage and engine passes around."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

T = TypeVar("T")

UTF8_BYTES = "_utf8_bytes"
"""The :meth:`Document.cached` key of the text's UTF-8 size (set by the reader, read by the cascade)."""


@dataclass
class Document:
    """A text with its id, provenance and metadata (scores land in ``meta``).

    Features derived from the text (lines, words, ...) are computed once through
    :meth:`cached` and shared by every stage; assigning a different ``text`` clears them
    (assigning an equal one, as a rewriting stage that changed nothing does, keeps them).
    """

    id: str
    text: str
    source: str = ""
    position: int = 0
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._cache: dict[str, Any] = {}

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "text" and "_cache" in self.__dict__ and value != self.__dict__.get("text"):
            self.__dict__["_cache"] = {}
        super().__setattr__(name, value)

    @property
    def key(self) -> str:
        """The document's unique key in a run: its source file and position there.

        Unlike ``id`` (the user's, kept as given, which may repeat) no two documents share it.

        >>> Document("x", "t", "a.jsonl", 10).key
        'a.jsonl:10'
        """
        return f"{self.source}:{self.position}"

    def cached(self, key: str, compute: Callable[["Document"], T]) -> T:
        """Return ``compute(self)``, computed once per text version under ``key``."""
        try:
            return self._cache[key]
        except KeyError:
            value = self._cache[key] = compute(self)
            return value

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_cache"] = {}
        return state
