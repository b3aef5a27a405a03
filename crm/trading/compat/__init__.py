"""Compatibility APIs of the trading domain at seed paths."""
