"""glue-customers: a JSON:API customer-account service in the style of Spryker Glue."""
