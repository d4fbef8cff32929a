"""Drafts of command files from decision documents (`ledger draft`); nothing is recorded.

A Beschlussvorlage or Niederschrift (text, PDF or scan) becomes a list of proposed commands
with the source lines each value came from and the fields that could not be established.
"""

from __future__ import annotations
