"""Reach: telling the people outside the MSP about their orders (issue 17).

`cycle.Reach` runs after each live cycle (runners/operator.py): recorded events become decided messages
(`audience.py` rules, `compose.py` templates, the outbox in store/outbox.py), and decided messages are
sent by email, as ticket notes or to the staff's Apprise URLs (`deliver.py`), each exactly once.
"""
