"""The parts of the desktop window beyond showing the page: where it stands (geometry), one
running copy per app (instance), its menu and what the menu does (menu, actions), and what
each GUI toolkit needs for them (qt, gtk). Only ``nbapp.gui.window`` and these import a toolkit.
"""
