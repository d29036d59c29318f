"""The SQL layer: every statement the service runs lives in this package."""
