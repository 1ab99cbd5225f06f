"""`nbdev_export`, with each module's `__all__` wrapped to fit in 120 columns.

nbdev 2 wraps the list of names at 120 columns and then puts `__all__ = ` in front of the first line, which can make it
130 long; the rest of minifast holds to 120 (ruff's E501, checked by `make lint`). Run `make export` rather than
`nbdev_export`: the same export, narrower lists.
"""
import textwrap

import nbdev.maker
from nbdev.doclinks import nbdev_export

class _Narrower(textwrap.TextWrapper):
    "nbdev's wrapper of `__all__`, 10 columns narrower: room for `__all__ = ` on the first line."
    def __init__(self, width=120, **kwargs): super().__init__(width=width - 10, **kwargs)

nbdev.maker.TextWrapper = _Narrower

if __name__ == '__main__': nbdev_export()
