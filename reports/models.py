from django.db import models


class SalesDay(models.Model):
    """One closed local day's sales and refunds, kept so that a report over a
    year adds up a few hundred rows instead of every order line of the year.

    A cache of what ``reports.selectors`` computes from the orders, their
    lines and the returns, never a second source: a day is written the first
    time a report reads it, once it ended a day ago, and deleted by the
    database (triggers of ``reports`` 0001) when a sold order or a return of
    that day changes. A report adds a day it finds here or computes it from
    the orders, as for today, so a deleted day costs speed, not exactness.

    Per time zone (a day's boundaries depend on ``STORE_TIME_ZONE``), per
    location, and with ``location_id`` null the whole store's day, which
    also says that the day is kept (a location without sales that day has
    no row).
    """

    tz = models.CharField(max_length=64)
    day = models.DateField()
    # A copy of figures whose orders already hold the location's key: no
    # key check of its own.
    location_id = models.BigIntegerField(null=True)
    orders = models.IntegerField()
    units = models.BigIntegerField()
    net_sales = models.DecimalField(max_digits=14, decimal_places=2)
    tax = models.DecimalField(max_digits=14, decimal_places=2)
    refunds = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tz", "day", "location_id"],
                nulls_distinct=False,
                name="reports_salesday_one_per_day_and_location",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} ({self.tz}, location {self.location_id or 'all'})"
