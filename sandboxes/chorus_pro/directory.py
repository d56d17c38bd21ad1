"""The Chorus Pro directory the sandboxes route on, loaded from ``seed_directory.json``.

One object answers "who is this SIRET, which services does it have, what must an invoice
to it carry" for both sandboxes (Chorus Pro API and Dilifac relay), so they reject the
same invoices for the same reasons (chorus-pro.md §1.5, §5.6).

assumed: a structure's ``active`` flag and a service's ``active`` flag are independent;
an inactive structure refuses every invoice whatever its services say.
"""
import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SEED_PATH = Path(__file__).resolve().parent.parent / "seed_directory.json"


@dataclass(frozen=True)
class Service:
    id: int
    code: str
    name: str
    active: bool
    engagement_required: bool


@dataclass(frozen=True)
class Structure:
    id: int
    siret: str
    name: str
    type: str
    active: bool
    service_required: bool
    engagement_required: bool
    service_or_engagement: bool
    services: tuple = ()
    postal_code: str = ""
    town: str = ""

    def service(self, code):
        """The service with this code (case-sensitive, as Chorus compares), or None."""
        return next((s for s in self.services if s.code == code), None)

    def service_by_id(self, service_id):
        return next((s for s in self.services if s.id == service_id), None)


@dataclass(frozen=True)
class TechnicalAccount:
    login: str
    password: str
    supplier_siret: str
    password_expiry: datetime.date | None


@dataclass(frozen=True)
class Engagement:
    number: str
    supplier_structure_id: int
    buyer_structure_id: int
    status: str


@dataclass
class Directory:
    client_id: str
    client_secret: str
    accounts: list = field(default_factory=list)
    structures: list = field(default_factory=list)
    engagements: list = field(default_factory=list)

    def structure_by_siret(self, siret):
        siret = (siret or "").strip()
        return next((s for s in self.structures if s.siret == siret), None)

    def structure_by_id(self, structure_id):
        return next((s for s in self.structures if s.id == structure_id), None)

    def account(self, login, password):
        """The technical account matching both login and password, or None."""
        return next(
            (a for a in self.accounts if a.login == login and a.password == password), None
        )


def _service(data):
    return Service(
        id=int(data["id"]),
        code=data["code"],
        name=data["name"],
        active=bool(data["active"]),
        engagement_required=bool(data["engagement_required"]),
    )


def _structure(data):
    return Structure(
        id=int(data["id"]),
        siret=data["siret"],
        name=data["name"],
        type=data["type"],
        active=bool(data["active"]),
        service_required=bool(data["service_required"]),
        engagement_required=bool(data["engagement_required"]),
        service_or_engagement=bool(data["service_or_engagement"]),
        services=tuple(_service(s) for s in data.get("services", [])),
        postal_code=data.get("postal_code", ""),
        town=data.get("town", ""),
    )


def _account(data):
    expiry = data.get("password_expiry")
    return TechnicalAccount(
        login=data["login"],
        password=data["password"],
        supplier_siret=data["supplier_siret"],
        password_expiry=datetime.date.fromisoformat(expiry) if expiry else None,
    )


def load_directory(path=None):
    """Read the seed json (``sandboxes/seed_directory.json`` by default) into a Directory."""
    data = json.loads(Path(path or DEFAULT_SEED_PATH).read_text(encoding="utf-8"))
    credentials = data["credentials"]
    return Directory(
        client_id=credentials["client_id"],
        client_secret=credentials["client_secret"],
        accounts=[_account(a) for a in credentials.get("technical_accounts", [])],
        structures=[_structure(s) for s in data.get("structures", [])],
        engagements=[Engagement(**e) for e in data.get("engagements", [])],
    )
