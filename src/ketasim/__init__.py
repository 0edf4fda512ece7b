"""ketasim: ketamine for depression, anxiety and trauma, from the dose to the rating scale.

Research and education tool; not medical advice.
"""

from __future__ import annotations

__version__ = "0.1.0"
