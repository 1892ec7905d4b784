"""The director's side: the unit's spots, posters, staff, categories and settings."""
