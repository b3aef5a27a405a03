"""Seed 001's trader API served at its own paths (`/frontoffice/api/...`, `/marketdata/api/...`), word for word.

The seed shows each enum by one example value; `enums.py` holds the value sets chosen for them, used by every
endpoint and written in the schema. Identifiers: `marketId` and `marketSymbol` are the instrument's symbol,
`accountId` the trading account's number, `assetId` a currency code, order/position/execution ids our row ids.
"RAT" amounts are in the trading account's currency.
"""
