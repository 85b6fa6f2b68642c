"""The history: the event log, the state derived from it, and every file habitd reads or writes.

May import: ``habitd`` (its version), ``habitd.errors``, ``habitd.paths``, ``habitd.limits``, ``habitd.records``,
``habitd.habits`` and modules of this room; never a room above.

- ``files``: the one package that does file I/O (atomic writes, private folders, limited
  reads, locks, file signatures, the config's text, a vdir; ``files.imported``: the files
  a person names to import).
- ``store``: the store the commands and the daemon read and change (``Store``).
- ``statefile``: ``state.toml``, this machine's bookkeeping, with its lock and backups.
- ``eventlog``, ``logformat``, ``identity``, ``writer``: the event log in a folder, its
  files' names and format, this machine's device id, the stamping of a write's events.
- ``caches`` (the files) and ``cache`` (their encoding): the derived history kept locally;
  ``cache_texts``: the log files read last, so that one that only grew is parsed from its end.
- ``events``, ``hlc``, ``derive``, ``changes``, ``migrate``: the events and their stamps,
  the state derived from them, a change as events, the move from a state file of before.
- ``record``, ``people``, ``merge``, ``rename``: every change to the history; who did what;
  merging an imported history; renaming a habit.
- ``phonelog``: a partner's phone as a device of its own (its ticks as their completions),
  and what this machine last wrote to the phone's task list.
- ``join``, ``configfile``: ``habitd init --join`` planned then applied; the config in use
  (this machine's file with the shared habits) and what the history needs of one that may not parse.
- ``habitfiles``, ``configmove``: the shared habit files (one per habit) and their conflict
  copies; moving an older sharing layout over to them.
"""
