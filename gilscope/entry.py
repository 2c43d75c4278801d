"""The console script's name for the entry point (`gilscope = "gilscope.entry:main"`), kept so installed
scripts go on working; the entry point itself is gilscope/cli/main.py."""

from gilscope.cli.main import main

__all__ = ["main"]

if __name__ == "__main__":
    main()
