"""Simulated carrier-tracking providers (EasyPost, UPS, FedEx) that follow the TD SYNNEX simulator's packages.

`app.create_app(state)` serves all three on one port; `state.CarrierState` holds packages, journeys,
trackers, tokens, faults and the request log; `easypost_api.deliver_webhooks(state)` sends the
`tracker.updated` events that simulated time has produced. COVERAGE.md lists what is implemented.
"""
