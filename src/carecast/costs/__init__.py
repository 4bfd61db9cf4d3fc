"""Costs of children looked after: unit costs from dated YAML, inflation, spend by financial
year (April to March) with intervals from the forecast draws, and RO3 actuals beside."""

from carecast.costs.spend import (
    council_spend,
    financial_year,
    ro3_actuals,
    spend_by_financial_year,
    weekly_cost,
)

__all__ = ["council_spend", "financial_year", "ro3_actuals", "spend_by_financial_year",
           "weekly_cost"]
