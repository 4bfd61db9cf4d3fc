"""Outputs: tables with sources and licence for export, and reports."""
