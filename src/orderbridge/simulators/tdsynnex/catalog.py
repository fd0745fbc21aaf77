"""Reference data the simulated TD SYNNEX answers from: warehouses, ship methods, products, number shapes.

Kept apart from the lifecycle so the facts (td-synnex.md §6.1, §6.2 and the spec examples) live in one
place that can be checked against the reference without reading any simulation logic.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Warehouse:
    number: str
    city: str
    state: str
    zip_code: str


# Ids and cities from td-synnex.md §6.2; zips of 4, 6, 7, 12, 14, 89 are the ones in the spec examples.
# The other zips are the towns' own postal codes, not confirmed facility addresses (UNCONFIRMED); a
# client must use whatever City/State/Zip comes back and never derive them from the id.
WAREHOUSES: dict[str, Warehouse] = {
    w.number: w
    for w in (
        Warehouse("3", "Fremont", "CA", "94538"),
        Warehouse("4", "Norcross", "GA", "30071"),
        Warehouse("5", "Richardson", "TX", "75081"),
        Warehouse("6", "Romeoville", "IL", "60446"),
        Warehouse("7", "Olive Branch", "MS", "38654"),
        Warehouse("8", "Keasbey", "NJ", "08832"),
        Warehouse("9", "Chantilly", "VA", "20151"),
        Warehouse("10", "Beaverton", "OR", "97005"),
        Warehouse("12", "Ontario", "CA", "91761"),
        Warehouse("14", "Grove City", "OH", "43123"),
        Warehouse("16", "Miami", "FL", "33178"),
        Warehouse("89", "Monroe", "NJ", "08831"),
        Warehouse("98", "Fremont", "CA", "94538"),
        Warehouse("502", "Suwanee", "GA", "30024"),
        Warehouse("503", "Swedesboro", "NJ", "08085"),
        Warehouse("504", "South Bend", "IN", "46628"),
        Warehouse("505", "Fort Worth", "TX", "76177"),
        Warehouse("506", "Fontana", "CA", "92335"),
    )
}
DROP_SHIP_WAREHOUSE = "98"
STOCKING_WAREHOUSES = ("3", "4", "5", "6", "7", "8", "9", "10", "12", "14", "16", "502", "503", "504", "505", "506")

# Code -> description as TD SYNNEX returns them (Appendix B of the PO spec; NL and UPSN from status traffic).
SHIP_METHODS: dict[str, str] = {
    "FG": "FedEx Ground",
    "FO": "FedEx Standard Overnight",
    "FP": "FedEx Priority Overnight",
    "F2": "FedEx 2 Day",
    "FX": "FedEx Express Saver",
    "UP": "UPS Ground",
    "UR": "UPS Next Day Air",
    "UB": "UPS 2 Day Air",
    "U3": "UPS 3 Day Select",
    "EXDO": "Expeditors LTL Ground",
    "UPSN": "UPS(GROUND)- CVS.COM",
    "NL": "Hold Order",
    "WC": "Synnex Will Call",
}
HOLD_METHOD = "NL"
# Transit days per method, for estimated delivery dates only.
TRANSIT_DAYS: dict[str, int] = {"FG": 4, "FO": 1, "FP": 1, "F2": 2, "FX": 3, "UP": 4, "UR": 1, "UB": 2, "U3": 3}


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    mfg_pn: str
    name: str
    unit_price: Decimal
    unit_weight: Decimal
    serial_prefix: str | None  # None: the product ships without serial numbers


# The first five are the products of the spec examples; the rest are plausible catalogue items.
PRODUCTS: tuple[Product, ...] = (
    Product("3430571", "2394AZ1", "LENOVO THINKPAD T530 BUSINESS NOTEBOOK", Decimal("795.0"), Decimal("6.4"), "R9"),
    Product("3109280", "TH42LF25U", "1080p High definition LCD display", Decimal("635.0"), Decimal("41.5"), "MA"),
    Product("3366896", "A2W55UTR#ABA", "RECERTIFIED HP COMPAQ 8200 ELITE PC", Decimal("610.0"), Decimal("27.4"), "USH"),
    Product(
        "3396979", "C1E21UT#ABA", "SBUY PRO 6305 MT/A6-5400B/500GB/4G/DVDRW", Decimal("510.0"), Decimal("26.66"), "2UA"
    ),
    Product("2673089", "500672-S21", "HP S-BUY 4GB 2RX8 PC3-10600E-9 KIT", Decimal("60.0"), Decimal("0.13"), "TWV"),
    Product(
        "7011452", "DELL-P2422H", "DELL 24 MONITOR P2422H 23.8IN FHD IPS", Decimal("189.99"), Decimal("13.9"), "CN0"
    ),
    Product(
        "7226310", "CBS250-24T-4G-NA", "CISCO BUSINESS 250 24PORT GE 4X1G SFP", Decimal("412.5"), Decimal("8.1"), "PSZ"
    ),
    Product("4420918", "SMT1500RM2UC", "APC SMART-UPS 1500VA LCD RM 2U 120V", Decimal("899.0"), Decimal("63.0"), "AS"),
    Product("3925587", "920-002565", "LOGITECH MK270 WIRELESS KEYBOARD MOUSE", Decimal("22.49"), Decimal("1.2"), None),
    Product(
        "8012264", "21JK0007US", "LENOVO THINKPAD E14 G5 I5 16GB 512GB W11P", Decimal("849.0"), Decimal("5.9"), "PF"
    ),
    Product("5703311", "W1A52A#BGJ", "HP LASERJET PRO 4001N PRINTER", Decimal("329.0"), Decimal("27.1"), "PHB"),
    Product("6688020", "U6-PRO-US", "UBIQUITI UNIFI 6 PRO ACCESS POINT", Decimal("159.0"), Decimal("1.9"), "F4E"),
    Product("6120459", "MZ-77E1T0B/AM", "SAMSUNG 870 EVO 1TB 2.5IN SATA SSD", Decimal("79.99"), Decimal("0.3"), "S6P"),
    Product("7540012", "26599-999-098", "JABRA EVOLVE2 65 MS STEREO USB-A", Decimal("219.0"), Decimal("0.9"), None),
    Product("2231876", "C6ASTP-BL-7", "CAT6A SHIELDED PATCH CABLE 7FT BLUE", Decimal("6.75"), Decimal("0.2"), None),
)

_ALNUM = string.ascii_uppercase + string.digits


def _fedex_check_digit(body: str) -> str:
    # FedEx Express 12-digit numbers weight the digits 1,3,7 from the right; the shape matters, not validity.
    total = sum(int(d) * (1, 3, 7)[i % 3] for i, d in enumerate(reversed(body)))
    return str(total % 11 % 10)


def _ups_check_digit(body: str) -> str:
    # Letters count as (ord - 63) % 10; odd positions once, even positions twice.
    values = [int(c) if c.isdigit() else (ord(c) - 63) % 10 for c in body]
    total = sum(values[0::2]) + 2 * sum(values[1::2])
    return str((10 - total % 10) % 10)


_UPS_SERVICE = {"UP": "03", "UR": "01", "UB": "02", "U3": "12"}


def tracking_number(rng: random.Random, ship_method: str) -> str:
    """A number with the shape the carrier behind `ship_method` uses (td-synnex.md §6.3)."""
    if ship_method == "UPSN":
        return "H320" + "".join(rng.choice(string.digits) for _ in range(6))
    if ship_method.startswith("U"):
        shipper = "".join(rng.choice(_ALNUM) for _ in range(6))
        body = shipper + _UPS_SERVICE.get(ship_method, "03") + "".join(rng.choice(string.digits) for _ in range(7))
        return "1Z" + body + _ups_check_digit(body)
    if ship_method == "EXDO":
        # LTL pro numbers match no parcel format; a client must fall back to ShipMethod (UNCONFIRMED shape).
        return "".join(rng.choice(string.digits) for _ in range(10))
    if ship_method == "FG" and rng.random() < 0.6:
        # FedEx Ground numbers in the spec examples are 15 digits.
        return "".join(rng.choice(string.digits) for _ in range(15))
    body = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(10))
    return body + _fedex_check_digit(body)


def serial_number(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choice(_ALNUM) for _ in range(10 - len(prefix)))


def order_number(rng: random.Random) -> str:
    """Sales order numbers are 8 digits (OrderNumber is AN 10)."""
    return str(rng.randint(10_000_000, 99_999_999))
