"""The app's non-code assets, installed as the package `grym_desktop.resources`.

The files live in the top-level resources/ folder of the source tree (setup.py maps the
package to it); code reads them with importlib.resources.files("grym_desktop.resources").
"""
