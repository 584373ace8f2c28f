"""Domain rules: pure Python, no web or database framework."""
