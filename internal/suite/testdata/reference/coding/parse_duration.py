import re

_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_duration(s):
    m = _DURATION.fullmatch(s)
    if not s or m is None:
        raise ValueError(f"invalid duration: {s!r}")
    h, mins, secs = (int(g) if g else 0 for g in m.groups())
    return h * 3600 + mins * 60 + secs
