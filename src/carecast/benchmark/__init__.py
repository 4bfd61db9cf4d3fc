"""Benchmarking councils against fair peers, and an open model of what drives variation.

- :mod:`~carecast.benchmark.indicators`: the indicator registry and each indicator's values.
- :mod:`~carecast.benchmark.compare`: one council against England, region and neighbours.
- :mod:`~carecast.benchmark.neighbours`: official (DfE/NFER) and open statistical neighbours.
- :mod:`~carecast.benchmark.drivers`: regression of rates and spend on external drivers.
"""
