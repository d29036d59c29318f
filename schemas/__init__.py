"""marshmallow-jsonapi schemas: one per resource type, wire names in camelCase."""
