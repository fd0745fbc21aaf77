"""Where simulated packages go: sort hubs, destinations, access points, and who signs for them.

Reference data only, kept apart from the journey rules. The hubs are real carrier sort-hub cities
(Louisville is UPS Worldport, Memphis the FedEx hub); destinations are towns where MSPs' customers
plausibly are. Postal codes are the towns' own, not confirmed facility addresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Place:
    city: str
    state: str
    zip_code: str
    tz: str = "America/New_York"
    country: str = "US"
    name: str | None = None  # an access point's or a neighbour's name, for "delivered elsewhere"
    street: str = ""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)


HUBS: dict[str, tuple[Place, ...]] = {
    "UPS": (
        Place("LOUISVILLE", "KY", "40209", "America/New_York"),
        Place("HODGKINS", "IL", "60525", "America/Chicago"),
        Place("MESQUITE", "TX", "75149", "America/Chicago"),
        Place("ONTARIO", "CA", "91761", "America/Los_Angeles"),
        Place("PARSIPPANY", "NJ", "07054", "America/New_York"),
        Place("ATLANTA", "GA", "30336", "America/New_York"),
    ),
    "FedEx": (
        Place("MEMPHIS", "TN", "38118", "America/Chicago"),
        Place("INDIANAPOLIS", "IN", "46241", "America/Indiana/Indianapolis"),
        Place("OAKLAND", "CA", "94621", "America/Los_Angeles"),
        Place("EDISON", "NJ", "08817", "America/New_York"),
        Place("GROVE CITY", "OH", "43123", "America/New_York"),
        Place("FORT WORTH", "TX", "76177", "America/Chicago"),
    ),
}
DEFAULT_HUBS = (
    Place("INDIANAPOLIS", "IN", "46241", "America/Indiana/Indianapolis"),
    Place("KANSAS CITY", "MO", "64120", "America/Chicago"),
    Place("JACKSONVILLE", "FL", "32218", "America/New_York"),
    Place("DENVER", "CO", "80239", "America/Denver"),
)
DESTINATIONS = (
    Place("BOISE", "ID", "83702", "America/Boise"),
    Place("PORTLAND", "ME", "04101", "America/New_York"),
    Place("MADISON", "WI", "53703", "America/Chicago"),
    Place("AUSTIN", "TX", "78701", "America/Chicago"),
    Place("RALEIGH", "NC", "27601", "America/New_York"),
    Place("SACRAMENTO", "CA", "95814", "America/Los_Angeles"),
    Place("OMAHA", "NE", "68102", "America/Chicago"),
    Place("BURLINGTON", "VT", "05401", "America/New_York"),
    Place("TEMPE", "AZ", "85281", "America/Phoenix"),
    Place("BROOKLYN", "NY", "11201", "America/New_York"),
)
STREETS = ("MAIN ST", "COMMERCE DR", "INDUSTRIAL PKWY", "OAK AVE", "TECHNOLOGY WAY", "MARKET ST", "RIVER RD")
# Where a package goes instead of the door: a pickup point elsewhere in town, or next door.
ACCESS_POINTS = ("ACCESS POINT", "PARCEL LOCKER")
SIGNERS = ("JSMITH", "A PATEL", "RECEIVING", "M GARCIA", "FRONT DESK", "L NGUYEN", "K OBRIEN", "T WILLIAMS")
DEFAULT_ORIGIN = Place("FREMONT", "CA", "94538", "America/Los_Angeles")
# Origins by TD SYNNEX warehouse state, for the zone of the first scans (warehouses: tdsynnex/catalog.py).
STATE_ZONES = {
    "CA": "America/Los_Angeles",
    "OR": "America/Los_Angeles",
    "TX": "America/Chicago",
    "IL": "America/Chicago",
    "MS": "America/Chicago",
    "IN": "America/Indiana/Indianapolis",
}


def at_door(destination: Place, number: int, street: str) -> Place:
    return Place(destination.city, destination.state, destination.zip_code, destination.tz, street=f"{number} {street}")


def access_point(destination: Place, carrier: str) -> Place:
    """A pickup point in the same town: another postal code, a name ("UPS ACCESS POINT")."""
    other_zip = destination.zip_code[:3] + ("99" if destination.zip_code[3:] != "99" else "98")
    name = f"{carrier.upper()} {ACCESS_POINTS[0]}" if carrier in ("UPS", "FedEx") else ACCESS_POINTS[1]
    return Place(destination.city, destination.state, other_zip, destination.tz, name=name, street="1 COMMERCE DR")


def neighbour(door: Place) -> Place:
    """Next door: the same postal code, the house number two along."""
    number, _, street = door.street.partition(" ")
    next_door = f"{int(number) + 2} {street}" if number.isdigit() else f"2 {door.street}"
    return Place(door.city, door.state, door.zip_code, door.tz, name="NEIGHBOR", street=next_door)
