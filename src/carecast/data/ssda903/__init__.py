"""Record-level SSDA903 (children looked after) returns: read, check, pseudonymise, store.

Public entry points (see docs/ssda903.md):

- :func:`carecast.data.ssda903.store.ingest` / :func:`~.store.load_episodes` /
  :func:`~.store.load_periods` / :func:`~.store.load_header`: workspace tables.
- :func:`carecast.data.ssda903.validate.validate_folder`: blocking checks and DfE's rules.
- :func:`carecast.data.ssda903.synth.generate` and
  :func:`carecast.data.ssda903.synth_writer.write_returns`: the synthetic generator.
- :func:`carecast.data.ssda903.summary.counts` / :func:`~.summary.report`: DfE-style counts.
- :func:`carecast.data.ssda903.cla.counted_episodes`: episodes that count as care (short
  breaks, V3/V4, left out as DfE does); used by the summary and the record-level model.
"""
