"""mlwaf: Azure Well-Architected checks for machine-learning and AI estates."""

__version__ = "0.1.0"
