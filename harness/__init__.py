"""Automated, repeatable measurement of real-name-registration barriers in mobile apps.

One measurement is one attempt of one scenario (an app's sign-up flow) from one device
profile (a country's SIM, network vantage point and locale) on one device. The packages
follow that flow, in layers: ``spec`` (what users write), ``verdicts`` (what a screen
means), ``attempt`` (one attempt on a ``devices`` session or the ``sim``), ``runs`` (many
attempts), ``storage``, ``analysis``, and ``cli`` and ``pytest_plugin`` on top, over the
ground floor ``vocabulary`` and ``support``. See docs/architecture.md and
docs/quickstart.md.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
