"""Who may see or do what at a station (the permission dependencies in api.deps use these)."""

from __future__ import annotations

from sqlmodel import Session

from api.auth import Actor
from ledger.index.tables import StationRow


def operates(*, session: Session, actor: Actor, station_id: int) -> bool:
    """A grid operator, or the registered operator of this station."""
    if actor.has("grid_operator"):
        return True
    station = session.get(StationRow, station_id)
    return station is not None and station.operator == actor.address


def sees_all(*, session: Session, actor: Actor, station_id: int) -> bool:
    """Operators of the station and regulators read every line of its statements."""
    return actor.has("regulator") or operates(session=session, actor=actor, station_id=station_id)
