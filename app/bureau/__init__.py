"""The city parks bureau's side: compare parks, trends, topics, warnings, hotline, exports."""
