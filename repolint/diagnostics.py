"""The one data model every rule produces and every reporter consumes."""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict, Field


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


class Applicability(str, Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY_ONLY = "display-only"


class Location(BaseModel):
    model_config = ConfigDict(frozen=True)

    file: str = Field(description="path relative to the repo root, '/'-separated")
    line: int = 1
    column: int = 1
    end_line: int | None = None
    end_column: int | None = None


class Edit(BaseModel):
    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    content: str


class Fix(BaseModel):
    description: str
    applicability: Applicability = Applicability.DISPLAY_ONLY
    edits: list[Edit] = Field(default_factory=list)


class Diagnostic(BaseModel):
    code: str
    name: str
    severity: Severity
    message: str
    location: Location
    repo: str = Field(default=".", description="the repo as the user named it")
    help: str | None = None
    fix: Fix | None = None
    targets: list[str] = Field(
        default_factory=list, description="transformers versions the finding applies to"
    )

    def sort_key(self) -> tuple:
        loc = self.location
        return (self.repo, loc.file, loc.line, loc.column, self.code)
