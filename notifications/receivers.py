"""Turns the journal's signals into notifications for the student and his parents."""
