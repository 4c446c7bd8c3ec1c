"""A source that subscribes to an MQTT topic of signed JSON readings (one
`SignedReading.to_json()` per message), with paho-mqtt 2.x, and yields them in arrival order.
Payloads that do not parse become `RawRejected` naming the topic."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import paho.mqtt.client as mqtt

from oracle.errors import SourceUnavailable
from oracle.reading import SignedReading
from oracle.sources import RawRejected, parse_payload


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> Broker:
        """mqtt://[user:password@]host[:port] (port 1883 by default)."""
        parts = urlparse(url)
        if parts.scheme not in ("mqtt", "tcp") or not parts.hostname:
            raise SourceUnavailable(url, "expected mqtt://host[:port]")
        return cls(parts.hostname, parts.port or 1883, parts.username, parts.password)


def _client(broker: Broker, client_id: str) -> mqtt.Client:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
    if broker.username is not None:
        client.username_pw_set(broker.username, broker.password)
    return client


class MqttSource:
    """Subscribes on the first iteration. Iteration ends after `limit` messages, after
    `idle_timeout_s` without one, or when `stop()` is called; otherwise it runs forever."""

    def __init__(
        self,
        url: str,
        topic: str,
        *,
        qos: int = 1,
        client_id: str = "",
        limit: int | None = None,
        idle_timeout_s: float | None = None,
    ) -> None:
        self.broker = Broker.from_url(url)
        self.topic = topic
        self.qos = qos
        self.limit = limit
        self.idle_timeout_s = idle_timeout_s
        self._client = _client(self.broker, client_id)
        self._inbox: queue.Queue[tuple[str, bytes] | None] = queue.Queue()
        self._subscribed = threading.Event()
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if not reason.is_failure:  # also after a reconnect: subscriptions are per session
            client.subscribe(self.topic, qos=self.qos)

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, _mid: int, _codes: Any, _p: Any) -> None:
        self._subscribed.set()

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        self._inbox.put((message.topic, bytes(message.payload)))

    def start(self, timeout_s: float = 10.0) -> None:
        """Connect and wait until the broker confirms the subscription."""
        try:
            self._client.connect(self.broker.host, self.broker.port)
        except OSError as exc:
            where = f"MQTT broker {self.broker.host}:{self.broker.port}"
            raise SourceUnavailable(where, str(exc)) from exc
        self._client.loop_start()
        if not self._subscribed.wait(timeout_s):
            self.stop()
            raise SourceUnavailable(f"MQTT topic {self.topic}", "no SUBACK from the broker")

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
        self._inbox.put(None)

    def readings(self) -> Iterator[SignedReading | RawRejected]:
        if not self._subscribed.is_set():
            self.start()
        taken = 0
        try:
            while self.limit is None or taken < self.limit:
                try:
                    item = self._inbox.get(timeout=self.idle_timeout_s)
                except queue.Empty:
                    return
                if item is None:
                    return
                topic, payload = item
                yield parse_payload(payload, f"mqtt:{topic}")
                taken += 1
        finally:
            self._client.disconnect()
            self._client.loop_stop()


def publish_readings(
    url: str, topic: str, payloads: Iterable[SignedReading | str], qos: int = 1
) -> int:
    """Publish readings (or raw text, for tests of bad payloads) and wait for delivery. This
    is what a gateway does; the demo and tests use it."""
    broker = Broker.from_url(url)
    client = _client(broker, "")
    client.connect(broker.host, broker.port)
    client.loop_start()
    sent = 0
    try:
        for item in payloads:
            text = item if isinstance(item, str) else item.to_json()
            client.publish(topic, text, qos=qos).wait_for_publish(10)
            sent += 1
    finally:
        client.disconnect()
        client.loop_stop()
    return sent
