"""Time zones of the corridor, read from the ``tzdata`` package so results never depend on the host's
zone files (an old system database still has Almaty at UTC+6; Kazakhstan is one UTC+5 zone since
1 March 2024). None of these zones has daylight saving time.

>>> local = datetime(2027, 3, 10, 10, 0, tzinfo=zone("Asia/Jakarta"))
>>> local.astimezone(timezone.utc).hour, local.astimezone(zone("Asia/Almaty")).hour
(3, 8)
>>> default_for_country("KZ"), default_for_country("ID"), default_for_country("FR")
('Asia/Almaty', 'Asia/Jakarta', 'UTC')
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from importlib import resources
from typing import Optional
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

# The zones offered, in the order of the form; the label says the offset, which never changes in these.
ZONES = {
    "Asia/Jakarta": _l("WIB — Jakarta, Sumatra, Java, West and Central Kalimantan (UTC+7)"),
    "Asia/Makassar": _l("WITA — Bali, Sulawesi, Nusa Tenggara, East Kalimantan (UTC+8)"),
    "Asia/Jayapura": _l("WIT — Maluku and Papua (UTC+9)"),
    "Asia/Almaty": _l("Kazakhstan — Astana, Almaty (UTC+5)"),
    "UTC": _l("Coordinated Universal Time (UTC)"),
}
SHORT = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT", "Asia/Almaty": _l("Astana"),
         "UTC": "UTC"}
COUNTRY_ZONES = {"ID": "Asia/Jakarta", "KZ": "Asia/Almaty"}

_cache: dict[str, ZoneInfo] = {}
_lock = threading.Lock()


def zone(key: str) -> ZoneInfo:
    """The zone from the tzdata package (built once per key, under a lock: request threads share it)."""
    with _lock:
        found = _cache.get(key)
        if found is None:
            if key not in ZONES:
                raise KeyError(key)
            if key == "UTC":
                found = ZoneInfo("UTC")
            else:
                area, city = key.split("/")
                with resources.files("tzdata.zoneinfo").joinpath(area, city).open("rb") as handle:
                    found = ZoneInfo.from_file(handle, key=key)
            _cache[key] = found
        return found


def default_for_country(country: Optional[str]) -> str:
    return COUNTRY_ZONES.get(country or "", "UTC")


def for_user(user) -> str:
    """The user's own zone, else their organisation's country's."""
    chosen = getattr(user, "timezone", None)
    if chosen in ZONES:
        return chosen
    organisation = getattr(user, "organisation", None)
    return default_for_country(organisation.country if organisation else None)


def aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored in UTC."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def offset_label(key: str, when: Optional[datetime] = None) -> str:
    """ "UTC+7" for Asia/Jakarta."""
    offset = (when or datetime.now(timezone.utc)).astimezone(zone(key)).utcoffset() or timedelta(0)
    hours, rest = divmod(int(offset.total_seconds()) // 60, 60)
    return f"UTC{'+' if offset >= timedelta(0) else '-'}{abs(hours)}" + (f":{rest:02d}" if rest else "")


def short_name(key: str) -> str:
    return str(SHORT.get(key, key))
