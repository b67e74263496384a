"""The EUR→USD rate from the ECB's euro foreign exchange reference rates (daily XML, no
credentials): https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml

The document is a `gesmes:Envelope` whose `Cube` holds one `Cube time='YYYY-MM-DD'` with a
`Cube currency='XXX' rate='…'` per currency (the ECB's published format, read 2026-12-01).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from multicloud.costs.refresh import Change, Refresh, RefreshError, day, number, source_node

CATALOG = "fx"
URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"
ECB = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"


@dataclass(frozen=True)
class Rates:
    day: dt.date
    usd: float


def parse(raw: bytes) -> Rates:
    """The day and the USD rate of an ECB daily reference-rates document."""
    if b"<!DOCTYPE" in raw[:2048] or b"<!ENTITY" in raw:
        raise RefreshError("the ECB document declares a DTD or entities; refusing it")
    try:
        root = ElementTree.fromstring(raw)
    except ElementTree.ParseError as err:
        raise RefreshError(f"the ECB document is not XML ({err})") from None
    days = root.findall(f"{ECB}Cube/{ECB}Cube[@time]")
    if len(days) != 1:
        raise RefreshError(f"expected one day of rates in the ECB document, found {len(days)}")
    try:
        day = dt.date.fromisoformat(days[0].attrib["time"])
    except ValueError:
        raise RefreshError(f"the ECB day {days[0].attrib['time'][:20]!r} is not a date") from None
    usd = [c for c in days[0].findall(f"{ECB}Cube") if c.attrib.get("currency") == "USD"]
    if len(usd) != 1:
        raise RefreshError("the ECB document has no single USD rate")
    rate = number(usd[0].attrib.get("rate"), "the ECB USD rate")
    if not 0.5 <= rate <= 2.0:
        raise RefreshError(f"the ECB USD rate {rate} is outside 0.5-2.0; refusing it")
    return Rates(day, rate)


def apply(doc: Any, parsed: Rates, read: dt.date) -> Refresh:
    result = Refresh("fx", read, URL)
    (entry,) = [r for r in doc["rates"] if r["from"] == "EUR" and r["to"] == "USD"]
    if float(entry["rate"]) == parsed.usd:
        result.confirmed += 1
    else:
        result.changes.append(Change("EUR→USD", float(entry["rate"]), parsed.usd))
    entry["rate"] = parsed.usd
    entry["date"] = day(parsed.day)
    entry["source"] = source_node(URL, read)
    return result
