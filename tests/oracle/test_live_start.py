"""Live sources receive from the moment the oracle is built: MQTT readings published before
the first interval falls due are all kept, in the durable inbox (real Mosquitto)."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest

from oracle.config import OracleConfig
from oracle.outbox import Outbox
from oracle.reading import DeviceDomain, SignedReading
from oracle.service import Clock, make_feed
from oracle.source_state import DurableInbox
from oracle.sources.mqtt import publish_readings
from oracle.validate import StationInfo
from tests.oracle.conftest import DAY_START, new_sim

pytestmark = pytest.mark.mqtt
INTERVAL = 900


@pytest.fixture
def mqtt_url() -> str:
    url = os.environ.get("ESSL_TEST_MQTT_URL")
    if not url:
        pytest.skip("ESSL_TEST_MQTT_URL is not set (e.g. mqtt://127.0.0.1:1883)")
    return url


def test_mqtt_readings_published_before_the_first_interval_is_due_are_all_kept(
    mqtt_url: str, domain: DeviceDomain, tmp_path: Path
) -> None:
    readings = new_sim(domain, seed=5).readings_between(DAY_START, DAY_START + 2 * INTERVAL)
    first = [r for r in readings if r.reading.timestamp < DAY_START + INTERVAL]
    topic = f"essl/test/{uuid.uuid4().hex}/readings"
    config = OracleConfig.model_validate(
        {
            "station_id": 1,
            "threshold": 1,
            "start": DAY_START,
            "nodes": [{"name": "n", "key": "0x" + "11" * 32}],
            "source": {"kind": "mqtt", "url": mqtt_url, "topic": topic},
        }
    )
    station = StationInfo(1, 100_000_000, 200_000_000, INTERVAL, 1_000, 9_500, 8_800)
    outbox = Outbox(tmp_path / "outbox.sqlite")
    clock = Clock(DAY_START, speed=1)  # the first interval is due 15 minutes from now
    feed = make_feed(config, station, domain, DurableInbox(outbox), clock=clock)
    try:
        publish_readings(mqtt_url, topic, readings)
        deadline = time.monotonic() + 20
        while sum(len(outbox.received(1, DAY_START + k * INTERVAL)) for k in range(2)) < len(
            readings
        ):
            assert time.monotonic() < deadline, "published readings did not reach the inbox"
            time.sleep(0.05)
        assert clock.now() < DAY_START + INTERVAL  # nothing was due yet: all kept anyway
        got = feed.readings_for_interval(DAY_START)  # a reading past the end has arrived
    finally:
        feed.close()  # type: ignore[attr-defined]
    assert [g for g in got if isinstance(g, SignedReading)] == first
    assert len(outbox.received(1, DAY_START + INTERVAL)) == len(readings) - len(first)
