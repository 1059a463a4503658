"""Which packages are installed; everything else is in pyproject.toml.

The app's assets live in the top-level resources/ folder but are installed as the package
`grym_desktop.resources`. pyproject.toml can either find packages on disk or list them by
hand, not both, and the mapped package is not on disk under grym_desktop/; so the list is
made here: every package found under grym_desktop/ plus the mapped one.
"""

from setuptools import find_packages, setup

CODE_PACKAGES = find_packages(include=["grym_desktop", "grym_desktop.*"])

setup(
    packages=[*CODE_PACKAGES, "grym_desktop.resources"],
    package_dir={"grym_desktop.resources": "resources"},
)
