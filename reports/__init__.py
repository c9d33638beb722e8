"""Read-only views over every other app: the back-office dashboard, later reports.

It may import any app; no app imports it, so a report never becomes a
dependency of the code it reads.
"""
