"""Lesson steps a trainer walks a room through (issue #13; docs/lessons.md).

A lesson step moves the replay to a time or to a phase, says what to watch in a
few lines of markdown, and highlights the services to look at.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from models.base import Document
from models.values import OptDuration

__all__ = ["Lesson"]


class Lesson(Document):
    """One step of a lesson.

    Examples
    --------
    >>> Lesson.model_validate({"title": "The storm", "at": "12s", "highlight": ["api"]}).at
    12.0
    """

    title: str = Field(min_length=1, max_length=120, description="Short title of the step.")
    text: str = Field("", max_length=4000, description="What to watch, in short markdown.")
    at: OptDuration = Field(None, description="Simulated time the replay moves to.")
    phase: str | int | None = Field(
        None, description="Phase (name or index, 0 = baseline) the replay shows."
    )
    highlight: list[str] = Field(default_factory=list, description="Services to highlight.")

    @model_validator(mode="after")
    def _somewhere(self) -> Lesson:
        if self.at is not None and self.at < 0:
            raise ValueError("at must not be negative")
        return self
