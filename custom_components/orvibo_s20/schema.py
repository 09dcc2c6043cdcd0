"""The schema library Home Assistant validates with: probatio from 2026.9, voluptuous before.

Home Assistant 2026.9 replaced voluptuous by probatio (an API-compatible successor) and aliases
`import voluptuous` to it at run time; its own signatures (forms, service schemas) take
probatio's types. So the integration imports the library through here, as `vol`.

`HAS_PROBATIO` is a plain name on purpose: mypy is told which branch holds for the release it
checks against (tests/test_typing.py passes `--always-true` or `--always-false` for it).
"""

from __future__ import annotations

from importlib.util import find_spec
from typing import Final

HAS_PROBATIO: Final = find_spec("probatio") is not None

if HAS_PROBATIO:
    import probatio as vol
else:
    import voluptuous as vol

__all__ = ["HAS_PROBATIO", "vol"]
