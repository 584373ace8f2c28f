"""Bank terminals and remote channels (issue 7): the application side of `bank_adapter`."""
