"""orderbridge: keeps ConnectWise PSA purchase orders in step with the TD SYNNEX orders behind them."""

__version__ = "0.1.0"
