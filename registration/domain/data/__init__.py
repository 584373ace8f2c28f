"""JSON data for the domain rules (a package so that setuptools ships the files)."""
