"""Readers that turn mail, calendars, deal records and contacts into plain graph records."""
