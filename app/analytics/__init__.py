"""Operator analytics over the event log: the KPIs (figures), their inputs, and the HTML page."""
