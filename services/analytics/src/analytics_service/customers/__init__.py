"""Customers: the counterparty dimension, RFM segments and one customer's profile."""
