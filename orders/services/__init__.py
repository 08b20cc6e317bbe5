"""Business operations on orders, each owning its transaction: intake from every channel
(``intake``), file uploads (``uploads``), allocation of fills (``allocation``) and risk limits
(``risk_limits``)."""
