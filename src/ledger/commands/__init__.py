"""Commands: the vocabulary of command files (`record: vote`, ...), their fields and handlers."""
