"""python -m cesched: the same as the cesched command."""

from .cli import main

main()
