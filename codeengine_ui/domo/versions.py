"""Code Engine package versions in release order."""

import re

# A version part compared as a number; longer digit runs compare as text.
_VERSION_NUMBER = re.compile(r"[0-9]{1,30}")


def version_key(version: str) -> tuple:
    """Versions in release order: 1.10.0 after 1.9.0."""
    return tuple(
        (0, int(part)) if _VERSION_NUMBER.fullmatch(part) else (1, part)
        for part in re.split(r"[.\-+]", version)
    )
