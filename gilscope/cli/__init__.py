"""The command line: the top layer, which nothing else in gilscope imports.

main.py is the entry point; early.py starts `gilscope profile`'s target before typer, rich and pydantic are
imported; app.py is the typer app; profile.py, attach.py, reports.py and rules.py are the commands; config.py
reads [tool.gilscope]. Kept empty so that importing a module of this package costs nothing more.
"""
