"""A council's own SSDA903 return: validate, ingest, summarise, and synthesise test data.

Record-level data is personal data: these functions never return child identifiers, and
summaries are suppressed (:mod:`carecast.disclosure`) before they reach a face.
"""

from __future__ import annotations

from carecast.data.ssda903 import codes, ingest_process, summary
from carecast.data.ssda903.store import IngestResult, ingest
from carecast.data.ssda903.synth import Synthetic, generate
from carecast.data.ssda903.synth_writer import write_returns
from carecast.data.ssda903.validate import Validation, validate_folder
from carecast.data.workspace import Workspace

__all__ = ["IngestResult", "Synthetic", "Validation", "age_bands",
           "generate", "ingest", "ingest_process", "summarise", "synth_shares",
           "validate_folder", "write_returns"]


def summarise(ws: Workspace) -> dict:
    """Stock, starts and ceased by year from the ingested episodes, suppressed."""
    return summary.from_workspace(ws)


def age_bands() -> list[str]:
    return [b["label"] for b in codes.age_bands()]


def synth_shares(syn: Synthetic) -> dict[str, tuple]:
    """The generated returns' placement mix and reasons ceased beside their targets."""
    counts = summary.counts(syn.episodes, syn.years)
    return {
        "Placement at 31 March": (summary.shares(counts["stock_by_dfe_group"], "dfe_group"),
                                  syn.targets.placement),
        "Reason ceased": (summary.shares(counts["ceased"], "reason"),
                          syn.targets.reason_ceased),
    }
