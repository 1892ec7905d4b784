"""Demo data: the Ritan unit of `make run` (`ritan`), and city-scale history (`synthetic`)."""
