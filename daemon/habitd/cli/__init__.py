"""The command line: parse arguments, call the rooms below, format the answer.

The only room that imports Click. Each module is one family of commands registered on the one
group in ``app``; the commands that record are loaded eagerly, the rest when they are called.

May import: every other room. Nothing imports this room but ``habitd.__main__``.
"""
