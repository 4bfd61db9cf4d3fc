"""Costs of children looked after: one engine for every path.

:mod:`calendar` (financial years, days per year, child-weeks), :mod:`unit_costs` (England
S251 costs by category and their growth assumption), :mod:`mix` (each council's placement
and age mix at 31 March), :mod:`base` (council costs reconciled to RO3 outturn) and
:mod:`spend` (child-weeks x unit cost by financial year, with intervals from the draws).
"""
