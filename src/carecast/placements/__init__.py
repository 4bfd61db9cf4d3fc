"""Placement sufficiency: will the council have homes for the children its forecast says
are coming?

- :mod:`~carecast.placements.mix`: each council's published placement mix and its trend.
- :mod:`~carecast.placements.demand`: children needing each group of home by age band and
  year, from the forecast's own joint draws (public data or a 903 workspace).
- :mod:`~carecast.placements.register`: the supply register (foster households and
  children's homes): read, validate, pseudonymise, store.
- :mod:`~carecast.placements.synth_supply`: a synthetic register calibrated to a council.
- :mod:`~carecast.placements.sufficiency`: demand against supply, the gap, recruitment,
  its cost and children likely to be placed out of area.

The category hierarchy itself is :mod:`carecast.data.categories`, so lower layers share it.
"""
