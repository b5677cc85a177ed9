"""Test results from CI artifacts: untrusted zips and JUnit XML in, plain frozen records out.

Pure and standalone: nothing here talks to GitHub, the store or the site. `archive` checks a zip before
anything is read from it, `junit` parses the reports inside, `verdicts` judges a failure against history.
"""

from quartz.testresults.archive import ReportRefused
from quartz.testresults.junit import ArtifactReports, Case, Refusal, Report, Suite, parse_report, read_artifact
from quartz.testresults.verdicts import FlakyEvidence, Observation, classify_failure, flaky_evidence

__all__ = [
    "ArtifactReports",
    "Case",
    "FlakyEvidence",
    "Observation",
    "Refusal",
    "Report",
    "ReportRefused",
    "Suite",
    "classify_failure",
    "flaky_evidence",
    "parse_report",
    "read_artifact",
]
