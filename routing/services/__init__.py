"""Business operations of execution, each owning its transaction: market sessions (``sessions``),
their steps (``steps``), aggregation into parents (``aggregation``), a parent's lifecycle
(``parents``) and supervisors' controls (``controls``)."""



