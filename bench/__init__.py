"""The benchmark of issue 11 and issue 4: ``bash bench/run`` (or ``make bench``)."""
