"""Services: the library behind each command; venues are reached through the adapter protocol."""
