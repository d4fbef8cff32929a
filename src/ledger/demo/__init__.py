"""The demo case as a command file."""
