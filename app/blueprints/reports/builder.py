"""The custom report builder: pick an entity, columns, filters, a grouping and an
aggregate; save and share the report with a team; export it."""
