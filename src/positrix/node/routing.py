"""Routing rules: which project (and animal) a study belongs to, from its PatientID,
StudyDescription and AccessionNumber (shell-style patterns, case-sensitive), read from a
small TOML file::

    [[route]]
    patient_id = "M24*"            # any of patient_id, study_description, accession
    study_description = "*FDG*"
    project = "P24000"
    animal = "{patient_id}"        # a template: the animal's facility id

The first rule whose every pattern matches wins; a study no rule matches waits in triage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from positrix.errors import FileFormatError
from positrix.io.toml_file import read_toml

__all__ = ["FIELDS", "Route", "load_routes", "route"]

#: The study attributes a rule may match.
FIELDS = ("patient_id", "study_description", "accession")


@dataclass(frozen=True)
class Route:
    """One rule: patterns per field, the project and the animal template."""

    project: str
    patterns: dict[str, str] = field(default_factory=dict)
    animal: str = ""

    def matches(self, tags: dict[str, str]) -> bool:
        """Whether every pattern matches its attribute."""
        return all(fnmatchcase(tags.get(k, ""), p) for k, p in self.patterns.items())

    def animal_for(self, tags: dict[str, str]) -> str:
        """The animal's facility id for a matched study (the template filled in)."""
        try:
            return self.animal.format(**{k: tags.get(k, "") for k in FIELDS})
        except (KeyError, IndexError, ValueError):
            return self.animal


def load_routes(path: str | Path) -> list[Route]:
    """The rules of a TOML file (see the module docstring)."""
    path = Path(path)
    data = read_toml(path)
    routes = []
    for n, entry in enumerate(data.get("route", []), start=1):
        unknown = set(entry) - {*FIELDS, "project", "animal"}
        if unknown or "project" not in entry:
            raise FileFormatError(
                f"route {n}: "
                + (f"unknown key '{sorted(unknown)[0]}'" if unknown else "no project"),
                source=path,
                field="route",
                fix="keys: patient_id, study_description, accession, project, animal",
            )
        patterns = {k: str(entry[k]) for k in FIELDS if k in entry}
        routes.append(Route(str(entry["project"]), patterns, str(entry.get("animal", ""))))
    return routes


def route(routes: list[Route], tags: dict[str, str]) -> Route | None:
    """The first rule that matches, or ``None`` (triage)."""
    return next((r for r in routes if r.matches(tags)), None)
