"""Small database helpers the apps share, one job per module.

- ``errors``: database refusals (unique violations, lock waits, protected
  rows) turned into the domain's errors;
- ``counts``: exact whole-table row counts read from a trigger-kept counter;
- ``updates``: ``model_update``, the one way update services write fields,
  and ``rows_update`` for bulk writes;
- ``inserts``: ``insert_rows``, new instances written in one hand-written
  INSERT, their values prepared as ``save()`` prepares them;
- ``reads``: ``instance_from_row``, instances built from a hand-written
  read's row as ``raw()`` builds them;
- ``altering``: what a transaction that wrote to a table does before it
  alters it;
- ``embedded``: the embedded PostgreSQL server for local runs and tests.

Import from the modules themselves: this package is imported by settings
(``embedded``) before the apps are loaded.
"""
