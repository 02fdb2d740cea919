"""Sweep this…: from a field of the inspector to the sweep panel, and back.

``spec_path`` spells a field's place in the wire data as SPEC §15 does (list items by
name: ``services[api].replicas``, ``mesh.policies[payment].timeout``), the path the
sweep and ``--set`` understand. :class:`SweepActions` runs the panel's sweep on the
scenario being edited (the phase on display) and applies the point the user clicks
as one undo step.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from meshsim import RoundTripDocument, dump_scenario
from ui.backend import ScenarioError, parse_scenario
from ui.session import Session
from ui.sweep_panel import SweepPanel

Loc = tuple[str | int, ...]


def spec_path(data: dict, loc: Loc) -> str:
    """The SPEC §15 path of ``loc``: list items by ``name`` or ``host`` where they have one.

    >>> data = {"services": [{"name": "web"}, {"name": "api", "calls": [{"to": "db"}]}]}
    >>> spec_path(data, ("services", 1, "calls", 0, "timeout"))
    'services[api].calls[0].timeout'
    >>> spec_path({}, ("mesh", "defaults", "retries", "attempts"))
    'mesh.defaults.retries.attempts'
    """
    out, node = "", data
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and part < len(node) else {}
            key = item.get("name") or item.get("host") if isinstance(item, dict) else None
            out += f"[{key or part}]"
            node = item
        else:
            out += f".{part}" if out else part
            node = node.get(part, {}) if isinstance(node, dict) else {}
    return out


class SweepActions(QObject):
    """Runs the panel's sweeps on the session's scenario; a clicked point is an edit."""

    def __init__(self, session: Session, panel: SweepPanel) -> None:
        super().__init__(panel)
        self._session = session
        self.panel = panel
        panel.run_button.clicked.connect(self._on_run_button_clicked)
        panel.setting_chosen.connect(self.apply_setting)

    def start(self):
        """Sweep the phase on display of the scenario (None: nothing to sweep)."""
        scenario = self._session.scenario
        if scenario is None:
            self.panel.status.setText("Open a scenario first.")
            return None
        phase = self._session.phase if self._session.shows_written_plan else None
        try:
            return self.panel.start(scenario, phase if phase else None)
        except ValueError as err:
            self.panel.status.setText(str(err))
            return None

    def _on_run_button_clicked(self) -> None:
        self.start()

    def apply_setting(self, values: dict) -> bool:
        """Load a point of the sweep into the scenario, as one undo step."""
        scenario = self._session.scenario
        if scenario is None or not values:
            return False
        text = ", ".join(f"{path} → {value}" for path, value in values.items())
        try:
            document = RoundTripDocument(dump_scenario(scenario))
            for path, value in values.items():
                document.set(path, value)
            chosen = parse_scenario(document.dump(), "<sweep>")
        except (ValueError, ScenarioError) as err:
            self._session.tell("error", f"Cannot load the sweep's setting {text}:", [str(err)])
            return False
        self._session.document.apply(chosen, f"sweep point: {text}")
        self._session.note(f"Loaded the sweep's setting {text} (Undo reverts it)")
        return True

    def shutdown(self) -> None:
        """End a running sweep (its process) when the window closes."""
        worker = self.panel.worker
        if worker is not None and worker.is_running:
            worker.cancel()

    def sweep_field(self, path: str, value) -> None:
        """Sweep this…: fill the panel with ``path`` and a range around ``value``."""
        self.panel.sweep_field(path, value)
        phase = self._session.phase if self._session.shows_written_plan else 0
        scenario = self._session.scenario
        names = [p.name for p in scenario.rollout.phases] if scenario is not None else []
        if phase and names:
            which = f"phase {names[phase - 1]} (on display)"
        else:
            which = f"phase {names[-1]} (the last)" if names else "the scenario"
        self.panel.status.setText(f"Sweeps {path} in {which}. Adjust the values, then Run sweep.")
