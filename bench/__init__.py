"""``make bench``: load tests of the service against its ceilings (not part of ``make test``)."""
