"""Outbox states are an enum stored as its value: files written with the plain words load."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from oracle.outbox import Outbox, OutboxState


def _legacy_row(path: Path, state: str) -> None:
    engine = create_engine(f"sqlite:///{path}")
    Outbox(engine)  # the tables as any outbox has them
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO outbox_reports (station_id, interval_start, state, report_json, "
                "signatures_json, readings_root, accepted, rejected, attempts, updated_at) "
                "VALUES (1, 900, :state, '{}', '[]', '0x', 0, 0, 0, 0)"
            ),
            {"state": state},
        )
    engine.dispose()


def test_an_outbox_written_with_plain_state_words_loads_them_as_members(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    _legacy_row(path, "submitted")
    outbox = Outbox(path)
    (row,) = outbox.in_states(1, (OutboxState.SUBMITTED,))
    assert row.state is OutboxState.SUBMITTED
    outbox.update(1, 900, state=OutboxState.CONFIRMED)
    with outbox.engine.connect() as conn:
        stored = conn.execute(text("SELECT state FROM outbox_reports")).scalar_one()
    assert stored == "confirmed" and type(stored) is str


def test_an_unknown_state_word_in_an_outbox_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    _legacy_row(path, "mined")
    try:
        Outbox(path).rows(1)
    except ValueError as e:
        assert "'mined'" in str(e)
    else:
        raise AssertionError("an unknown state loaded")
