"""carecast: understand, benchmark, forecast and change demand for children's social care.

The package is laid out as the pipeline it runs: ``data`` (ingest, validate) ->
``benchmark`` -> ``model`` -> ``costs`` -> ``scenarios`` -> ``placements`` ->
``service`` -> ``report`` / ``web`` / ``cli``. A layer may import the layers before it, never after.
"""

__version__ = "0.1.0"

OGL_ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0."
)
