"""Seed 001 "Settings — back office v2" at the seed's own paths (`/back-api/backoffice/v2/...`).

Bodies, paths and status codes follow the seed word for word; the seed shows no error bodies, so refusals use the
API's one error shape. See README "API" for the enum value sets chosen where the seed shows one example.
"""
