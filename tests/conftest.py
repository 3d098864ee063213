"""Suite-wide settings: in CI (`CI` set, as `.ci/run` does), Hypothesis runs derandomized, so a run
is repeatable and a landing never hangs on a new random example; locally it explores at random."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
