"""Against the real Mosquitto broker at ESSL_TEST_MQTT_URL (skipped when unset)."""

from __future__ import annotations

import os
import threading
import uuid

import pytest

from oracle.reading import DeviceDomain, SignedReading
from oracle.sources import RawRejected
from oracle.sources.mqtt import MqttSource, publish_readings
from tests.oracle.conftest import DAY_START, new_sim

pytestmark = pytest.mark.mqtt


@pytest.fixture
def mqtt_url() -> str:
    url = os.environ.get("ESSL_TEST_MQTT_URL")
    if not url:
        pytest.skip("ESSL_TEST_MQTT_URL is not set (e.g. mqtt://127.0.0.1:1883)")
    return url


def test_subscribes_and_yields_signed_readings(mqtt_url: str, domain: DeviceDomain) -> None:
    readings = new_sim(domain, seed=4).readings_between(DAY_START, DAY_START + 60)
    topic = f"essl/test/{uuid.uuid4().hex}/readings"
    source = MqttSource(mqtt_url, topic, limit=len(readings) + 1, idle_timeout_s=10)
    source.start()
    payloads: list[SignedReading | str] = [*readings[:3], '{"device": "0x12"}', *readings[3:]]
    sender = threading.Thread(target=publish_readings, args=(mqtt_url, topic, payloads))
    sender.start()
    items = list(source.readings())
    sender.join(10)
    assert [i for i in items if isinstance(i, SignedReading)] == readings
    [bad] = [i for i in items if isinstance(i, RawRejected)]
    assert bad.origin == f"mqtt:{topic}" and bad.raw == '{"device": "0x12"}'
