"""The storefront face: what headless shops and mobile apps call (Spryker Glue's customer API)."""
