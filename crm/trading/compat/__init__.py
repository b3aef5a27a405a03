"""Seed 001's APIs served at their own paths, word for word: the trader API (`/frontoffice/api/...`,
`/marketdata/api/...`, `/notification/api/v1/trader-...`) and, in `backoffice/`, the back office (`/back-api/...`).

The seed shows each enum by one example value; `enums.py` holds the value sets chosen for them, used by every
endpoint and written in the schema. Identifiers: `marketId` and `marketSymbol` are the instrument's symbol,
`accountId` the trading account's number, `assetId` a currency code, order/position/execution ids our row ids.
"RAT" amounts are in the trading account's currency.
"""
