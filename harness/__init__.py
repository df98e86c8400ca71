"""Automated, repeatable measurement of real-name-registration barriers in mobile apps.

One measurement is one attempt of one scenario (an app's sign-up flow) from one device
profile (a country's SIM, network vantage point and locale) on one device. See
docs/quickstart.md.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
