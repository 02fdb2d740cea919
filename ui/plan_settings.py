"""PlanSettingsDialog: the score's weights and the rollout constraints, in one form.

``rollout.constraints`` (pilotMaxExposure, maxServicesPerPhase, first, last) and
``rollout.scoreWeights`` (SPEC §11.5, docs/planning.md) are edited together: an empty
field keeps the default, shown greyed. OK applies every change as one undo step; a
value the scenario refuses is shown under its field, and nothing changes.
"""

from __future__ import annotations

from typing import Any

import yaml
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from meshsim import weights_of
from models import SCORE_TERMS, Scenario
from ui.backend import ScenarioError
from ui.palette import ERROR_TEXT
from ui.session import Session

TERMS = {
    "mtlsAuc": "mean mTLS coverage over the phases",
    "sensitiveMtlsAuc": "the same over calls into sensitive services",
    "pilotExposure": "1 − the share of requests phase 1 touches",
    "meanExposure": "1 − the mean share of requests a phase touches",
    "endLatency": "final phase p99 against the baseline's",
    "endErrors": "final phase error rate against the baseline's",
    "endRetries": "final phase retry amplification against the baseline's",
    "endProxyCpu": "less proxy CPU in the final phase earns more",
    "phaseLatency": "p99 against the baseline's, mean over the phases",
    "phaseErrors": "error rate against the baseline's, mean over the phases",
    "phaseRetries": "retry amplification, mean over the phases",
}
"""What each term of the score rewards (docs/planning.md §4.1)."""
CONSTRAINTS = {
    "pilotMaxExposure": ("Pilot max exposure", "0.1 or 10%", "10% — default"),
    "maxServicesPerPhase": ("Max services per phase", "a number", "no limit — default"),
    "first": ("First (phase 1)", "service names", "none — default"),
    "last": ("Last (final phase)", "service names", "none — default"),
}
"""Label, kind of value, placeholder of each constraint."""
NAMES = ("first", "last")


def default_weights(scenario: Scenario) -> dict[str, float]:
    """The weights the score uses when the scenario sets none (per this scenario)."""
    rollout = scenario.rollout.model_copy(update={"score_weights": {}})
    return weights_of(scenario.model_copy(update={"rollout": rollout}))


class Field(QWidget):
    """A line edit with its inline error under it."""

    def __init__(self, placeholder: str, tip: str) -> None:
        super().__init__()
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.edit.setToolTip(tip)
        self.error = QLabel()
        self.error.setObjectName("field_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {ERROR_TEXT}; font-size: 11px;")
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addWidget(self.edit)
        layout.addWidget(self.error)

    def set_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))
        self.edit.setStyleSheet(f"border: 1px solid {ERROR_TEXT};" if message else "")


class PlanSettingsDialog(QDialog):
    """Score weights and rollout constraints of the session's scenario."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PlanSettingsDialog")
        self.setWindowTitle("Score weights and constraints")
        self._session = session
        scenario = session.scenario
        self.fields: dict[str, Field] = {}
        intro = QLabel(
            "Constraints are hard limits: <i>optimized</i> keeps them, and a plan that "
            "breaks one ranks after every plan that keeps them. Weights are the points of "
            "each term of the score (higher score is better). Empty fields keep the default. "
            "See docs/planning.md."
        )
        intro.setWordWrap(True)
        self.general = QLabel()
        self.general.setWordWrap(True)
        self.general.setStyleSheet(f"color: {ERROR_TEXT};")
        self.general.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        restore = buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        restore.setToolTip("Empty every field: the defaults apply (OK to keep that)")
        restore.clicked.connect(self.restore_defaults)
        body = QWidget()
        columns = QHBoxLayout(body)
        columns.addWidget(self._constraints_box(scenario), 1)
        columns.addWidget(self._weights_box(scenario), 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.general)
        layout.addWidget(buttons)
        self.resize(760, 520)
        self.load(scenario)

    def _constraints_box(self, scenario: Scenario) -> QGroupBox:
        box = QGroupBox("Rollout constraints")
        form = QFormLayout(box)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        for key, (label, kind, placeholder) in CONSTRAINTS.items():
            info = type(scenario.rollout.constraints).model_fields
            name = next(n for n, f in info.items() if (f.alias or n) == key)
            tip = f"{info[name].description} ({kind}; rollout.constraints.{key})"
            if key in NAMES:
                tip += ", separated by commas"
            self.fields[f"constraints.{key}"] = field = Field(placeholder, tip)
            form.addRow(label, field)
        note = QLabel(
            "Pilot max exposure: the share of entry requests phase 1 may touch (0.1 or 10%). "
            "First and last: service names, separated by commas. A plan that breaks a limit "
            "is marked in the ranking with what it breaks."
        )
        note.setWordWrap(True)
        note.setStyleSheet("color: #607d8b; font-size: 11px;")
        form.addRow(note)
        return box

    def _weights_box(self, scenario: Scenario) -> QGroupBox:
        box = QGroupBox("Score weights (points)")
        form = QFormLayout(box)
        defaults = default_weights(scenario)
        for term in SCORE_TERMS:
            tip = f"{TERMS[term]} (rollout.scoreWeights.{term}; a number ≥ 0, 0 = ignore)"
            self.fields[f"weights.{term}"] = field = Field(f"{defaults[term]:g} — default", tip)
            form.addRow(term, field)
        if not any(s.sensitive for s in scenario.services):
            note = QLabel("No service is sensitive: sensitiveMtlsAuc's points go to mtlsAuc.")
            note.setWordWrap(True)
            note.setStyleSheet("color: #607d8b; font-size: 11px;")
            form.addRow(note)
        return box

    # --- values -------------------------------------------------------------------------

    def load(self, scenario: Scenario) -> None:
        """Show what ``scenario`` writes (unset: empty, the default as placeholder)."""
        written = scenario.rollout.model_dump(mode="json", by_alias=True, exclude_unset=True)
        constraints = written.get("constraints", {})
        for key in CONSTRAINTS:
            value = constraints.get(key)
            if key in NAMES:
                text = ", ".join(value or [])
            else:
                text = "" if value is None else f"{value:g}"
            self.fields[f"constraints.{key}"].edit.setText(text)
        weights = written.get("scoreWeights", {})
        for term in SCORE_TERMS:
            value = weights.get(term)
            self.fields[f"weights.{term}"].edit.setText("" if value is None else f"{value:g}")
        self._clear_errors()

    def restore_defaults(self) -> None:
        for field in self.fields.values():
            field.edit.clear()
        self._clear_errors()

    def _clear_errors(self) -> None:
        for field in self.fields.values():
            field.set_error(None)
        self.general.hide()

    def values(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The constraints and weights the fields say (ValueError naming a field)."""
        constraints: dict[str, Any] = {}
        for key in CONSTRAINTS:
            text = self.fields[f"constraints.{key}"].edit.text().strip()
            if not text:
                continue
            if key in NAMES:
                constraints[key] = [n.strip() for n in text.split(",") if n.strip()]
            else:
                constraints[key] = _scalar(text, f"constraints.{key}")
        weights: dict[str, Any] = {}
        for term in SCORE_TERMS:
            text = self.fields[f"weights.{term}"].edit.text().strip()
            if text:
                weights[term] = _scalar(text, f"weights.{term}")
        return constraints, weights

    def apply(self) -> bool:
        """Write the fields into the scenario as one undo step; False (and why) if refused."""
        self._clear_errors()
        try:
            constraints, weights = self.values()
        except _FieldError as err:
            self.fields[err.field].set_error(err.message)
            return False

        def change(data: dict) -> None:
            rollout = data.setdefault("rollout", {})
            for key, value in (("constraints", constraints), ("scoreWeights", weights)):
                if value:
                    rollout[key] = value
                else:
                    rollout.pop(key, None)

        try:
            self._session.document.edit("score weights and constraints", change)
        except ScenarioError as err:
            self._show_problems(err)
            return False
        return True

    def _show_problems(self, err: ScenarioError) -> None:
        general = []
        for problem in err.problems:
            target = _field_of(problem.path, problem.message)
            if target in self.fields:
                self.fields[target].set_error(f"{problem.path}: {problem.message}")
            else:
                general.append(
                    f"{problem.path}: {problem.message}" if problem.path else problem.message
                )
        self.general.setText("\n".join(general))
        self.general.setVisible(bool(general))

    def accept(self) -> None:
        if self.apply():
            super().accept()


class _FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def _scalar(text: str, field: str) -> Any:
    """A number as YAML reads it ("0.1", "3"); "10%" stays text (a probability)."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise _FieldError(field, f"not a value: {text!r}") from err
    if field.startswith("weights.") and (
        isinstance(value, bool) or not isinstance(value, int | float)
    ):
        raise _FieldError(field, f"expected a number of points, got {text!r}")
    return value


def _field_of(path: str, message: str) -> str | None:
    """The dialog field a problem of ``rollout.constraints`` / ``rollout.scoreWeights`` is about."""
    if path.startswith("rollout.constraints"):
        rest = path[len("rollout.constraints") :].lstrip(".")
        key = rest.split(".")[0].split("[")[0]
        if key in CONSTRAINTS:
            return f"constraints.{key}"
        return "constraints.last" if "first and last" in message else None
    if path.startswith("rollout.scoreWeights"):
        for term in SCORE_TERMS:
            if f"'{term}'" in message:
                return f"weights.{term}"
    return None
