"""Read-only aggregates for the leadership dashboards, computed in SQL, one module per page.

``common`` (measuring dates, filter choices), ``coverage`` (map and country panel), ``growth``
(network growth and the overview's KPIs), ``partnerships``, ``funding``, ``training``,
``pillars`` (targets against actuals), ``activity`` (hotline statistics); ``cache``, ``codec``
and ``disclosed`` keep and present their results.
"""
