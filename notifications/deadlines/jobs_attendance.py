"""Deadline jobs: filled in by issue 6."""
