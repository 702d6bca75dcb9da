"""JUnit XML for CI dashboards: one testcase per transcript, coverage as properties."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET

from simulator.transcripts.coverage import Coverage
from simulator.transcripts.report import failure_lines
from simulator.transcripts.runner import Outcome


def junit_xml(outcomes: list[Outcome], seconds: float, coverage: Coverage | None = None) -> bytes:
    suite = ET.Element("testsuite", {
        "name": "menuflow transcripts",
        "tests": str(len(outcomes)),
        "failures": str(sum(o.failure is not None for o in outcomes)),
        "errors": str(sum(o.error is not None for o in outcomes)),
        "skipped": "0",
        "time": f"{seconds:.3f}",
    })
    if coverage is not None:
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", {"name": "state_coverage", "value": f"{coverage.state_percent:.1f}"})
        ET.SubElement(props, "property", {"name": "option_coverage", "value": f"{coverage.option_percent:.1f}"})
    for o in outcomes:
        case = ET.SubElement(suite, "testcase", {
            "classname": os.path.splitext(o.path)[0].replace(os.sep, "."),
            "name": o.name,
            "file": o.path,
            "time": f"{o.seconds:.3f}",
        })
        if o.error is not None:
            ET.SubElement(case, "error", {"message": o.error}).text = o.error
        elif o.failure is not None:
            node = ET.SubElement(case, "failure", {"message": o.failure.problems[0].splitlines()[0]})
            node.text = "\n".join(failure_lines(o.failure, o.path))
    data: bytes = ET.tostring(suite, encoding="utf-8", xml_declaration=True)
    return data


def write_junit(path: str, outcomes: list[Outcome], seconds: float, coverage: Coverage | None = None) -> None:
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(junit_xml(outcomes, seconds, coverage))
