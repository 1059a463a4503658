"""grym-desktop: local audio understanding under a memory governor."""

__version__ = "0.1.0"
