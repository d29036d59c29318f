"""The back-office face: operators and integration clients (backoffice-api.md)."""
