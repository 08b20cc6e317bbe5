"""Business operations of execution, each owning its transaction: market sessions (``sessions``),
their steps (``steps``, what they write in ``step_records``), aggregation into parents
(``aggregation``), a parent's lifecycle (``parents``), a trader's two-phase cancel
(``cancels``), supervisors' controls (``controls``) and faulted sessions (``faults``)."""
