"""FieldForm: one editor per field of the selected part of the scenario.

The form is built from pydantic models: one editor per field, the field's description
as tooltip, optional sub-documents as checkable groups. It knows nothing of the
document: a committed value leaves as ``committed(path, value)``, and the problems of
a rejected edit come back through ``show_problems``.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QVBoxLayout, QWidget

from models import Scenario, parse_duration
from ui.backend import ScenarioError, format_path, proxy_defaults
from ui.fields import UNSET, FieldEditor, field_kind, summary_text, to_text, wire_key
from ui.wire_paths import lookup, owner


def sweepable(value: Any) -> bool:
    """True for a number or a duration (``none``, no timeout, is a duration too)."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int | float):
        return True
    try:
        parse_duration(value)
    except (TypeError, ValueError):
        return value == "none"
    return True


Loc = tuple[str | int, ...]
Section = tuple[str, Loc, type[BaseModel], tuple[str, ...]]
"""Title (may be empty), location in the wire data, model class, fields left out."""

LABELS = {
    "cpu_per_1k_rps": "CPU per 1k rps",
    "memory_mi_b": "Memory (MiB)",
    "consecutive_5xx_errors": "Consecutive 5xx",
    "mtls": "mTLS",
    "slo": "SLO",
    "latency_p99": "Latency p99",
    "retry_on": "Retry on",
    "vcpu_hour": "vCPU per hour",
    "gib_hour": "GiB per hour",
    "locality_lb": "Locality LB",
}


POLICY_PREFIX = re.compile(r"^(mesh\.policies\[\d+\]|rollout\.phases\[\d+\]\.policies\[\d+\])\.")


PROXY_FIELDS = {
    "mesh.proxy.latency": "latency",
    "mesh.proxy.cpuPer1kRps": "cpu_per_1k_rps",
    "mesh.proxy.memoryMiB": "memory_mib",
}
"""Proxy settings whose unset value is the mesh profile's number."""


def inherited_value(written: dict, full: dict, path: str) -> tuple[Any, str]:
    """What an unset field stands for, and where that comes from.

    A policy's field inherits ``mesh.defaults``' (when written there); every other
    unset field has its model's default.
    """
    if path in PROXY_FIELDS:
        # not in the document: the mesh profile's own proxy numbers (SPEC §10)
        profile = lookup(full, "mesh.profile") or "istio-sidecar"
        value = getattr(proxy_defaults(profile), PROXY_FIELDS[path])
        if hasattr(value, "model_dump"):
            value = value.model_dump(by_alias=True, mode="json", exclude_none=True)
        return value, f"{profile} profile"
    match = POLICY_PREFIX.match(path)
    if match:
        rest = path[match.end() :]
        value = lookup(written, f"mesh.defaults.{rest}")
        if value is not None:
            return value, "from mesh.defaults"
        value = lookup(full, f"mesh.defaults.{rest}")
        if value is not None:
            return value, "default"
    return lookup(full, path), "default"


class FieldForm(QWidget):
    """Editors for the fields of one or more sections of the scenario."""

    committed = Signal(object, object)
    """(path, value): a field's new value (``UNSET`` removes it)."""
    sweep_requested = Signal(object, object)
    """(path, value): "Sweep this…" on a number or duration field, around ``value``."""

    def __init__(
        self,
        sections: list[Section],
        parent: QWidget | None = None,
        choices: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("FieldForm")
        self._choices = choices or {}
        self.sweeps = True
        """False: no field offers "Sweep this…" (a policy that does not exist yet)."""
        """Fields (by model name) edited as a choice among these values (a fault's service)."""
        self.editors: dict[str, FieldEditor] = {}
        self.groups: dict[str, QGroupBox] = {}
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        for title, loc, model, exclude in sections:
            box = QGroupBox(title) if title else QWidget()
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
            self._build(form, loc, model, exclude)
            outer.addWidget(box)

    def _build(self, form: QFormLayout, loc: Loc, model: type[BaseModel], exclude) -> None:
        for name, info in model.model_fields.items():
            if name in exclude or name in ("api_version", "kind"):
                continue
            path = (*loc, wire_key(name, info))
            label = LABELS.get(name, name.replace("_", " ").capitalize())
            kind, extra = field_kind(info.annotation)
            if name in self._choices:
                kind, extra = "choice", self._choices[name]
            if kind == "group":
                box = QGroupBox(label)
                box.setToolTip(info.description or "")
                if info.default is None:
                    box.setCheckable(True)
                    box.toggled.connect(lambda on, p=path: self._emit(p, {} if on else UNSET))
                    self.groups[format_path(path)] = box
                sub = QFormLayout(box)
                sub.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
                self._build(sub, path, extra[0], ())
                form.addRow(box)
                continue
            editor = FieldEditor(label, info, kind, extra)
            editor.committed.connect(lambda value, p=path: self._emit(p, value))
            editor.sweep_requested.connect(
                lambda p=path, e=editor: self.sweep_requested.emit(p, e.sweep_value)
            )
            self.editors[format_path(path)] = editor
            form.addRow(editor.label, editor)

    def _emit(self, path: Loc, value: Any) -> None:
        self.committed.emit(path, value)

    def refresh(self, scenario: Scenario) -> None:
        """Show ``scenario``'s values and drop any error shown.

        A text field the scenario does not set is empty, with the value it inherits
        as a grey placeholder that says where it comes from ("3 — from mesh.defaults",
        "20s — default").
        """
        data, written = _dumps(scenario)
        for path, box in self.groups.items():
            box.blockSignals(True)
            box.setChecked(lookup(data, path) is not None)
            box.blockSignals(False)
        for path, editor in self.editors.items():
            value = lookup(data, path)
            if editor.inherits_placeholder and lookup(written, path) is None:
                value, source = inherited_value(written, data, path)
                editor.set_value(None)
                text = summary_text(value) or to_text(value)
                editor.widget.setPlaceholderText("" if value is None else f"{text} — {source}")
            else:
                editor.set_value(value)
            sweeps = self.sweeps and editor.inherits_placeholder and sweepable(value)
            editor.set_sweep_value(value if sweeps else None)
            editor.set_error(None)

    def focused(self) -> str | None:
        """The path of the editor with the keyboard focus."""
        return next((p for p, e in self.editors.items() if e.widget.hasFocus()), None)

    def show_problems(self, err: ScenarioError, edited: Loc) -> list[str]:
        """Put each problem next to its field; return those that belong to none."""
        for editor in self.editors.values():
            editor.set_error(None)
        general: list[str] = []
        edited_path = format_path(edited)
        for problem in err.problems:
            target = owner(problem.path, self.editors)
            if target is None and edited_path.startswith(problem.path):
                target = edited_path if edited_path in self.editors else None
            if target is None:
                general.append(
                    f"{problem.path}: {problem.message}" if problem.path else problem.message
                )
                continue
            editor = self.editors[target]
            previous = editor.error.text()
            editor.set_error(f"{previous}\n{problem.message}" if previous else problem.message)
        return general


_last_dump: tuple[Scenario, dict, dict] | None = None


def _dumps(scenario: Scenario) -> tuple[dict, dict]:
    """The scenario as JSON data, in full and as written; kept for the last scenario.

    A scenario is immutable, so selecting another service of the same document (a new
    form each time) reuses the dumps; on a 1,238-service graph they take about 0.1 s.
    Callers only read them.
    """
    global _last_dump
    if _last_dump is None or _last_dump[0] is not scenario:
        data = scenario.model_dump(mode="json", by_alias=True)
        written = scenario.model_dump(mode="json", by_alias=True, exclude_unset=True)
        _last_dump = (scenario, data, written)
    return _last_dump[1], _last_dump[2]
