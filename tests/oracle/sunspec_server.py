"""A SunSpec battery device served over Modbus TCP with pymodbus, for tests and the demo.

Register map (holding registers, as SunSpec lays them out): "SunS" at 40000, model 1 (common),
model 802 (battery), model 803 (lithium-ion bank, no strings: module temperatures), one meter
model (203 wye meter with acc32 TotWhImp/TotWhExp, or 701 DER AC measurement with uint64
TotWhAbs/TotWhInj), then the end model 0xFFFF. Point values are rendered into registers with
pysunspec2's own model classes, so the encoding is SunSpec's by construction. The server runs
an asyncio loop in a background thread on 127.0.0.1:<free port>; setters change the values at
run time."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any, Literal

import sunspec2.device as sdev
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from oracle.errors import SourceUnavailable

BASE_ADDRESS = 40_000
MeterModel = Literal[203, 701]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SunSpecBatteryServer:
    """`with SunSpecBatteryServer() as server:` serves on `server.port` until the block ends."""

    def __init__(self, meter_model: MeterModel = 203, unit_id: int = 1) -> None:
        self.meter_model = meter_model
        self.unit_id = unit_id
        self.port = 0
        self._lock = threading.Lock()
        self._common = sdev.Model(model_id=1)
        self._battery = sdev.Model(model_id=802)
        self._bank = sdev.Model(model_id=803, data={"ID": 803, "NStr": 0})
        self._meter = sdev.Model(model_id=meter_model)
        self._defaults()
        self._image = self._render()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: ModbusTcpServer | None = None
        self._thread: threading.Thread | None = None

    def _defaults(self) -> None:
        c = self._common
        c.Mn.value, c.Md.value, c.SN.value = "ESS Ledger", "SimBattery", "SIM-0001"
        c.Vr.value, c.DA.value = "1.0", self.unit_id
        b = self._battery
        for name, sf in (
            ("AHRtg_SF", 0),
            ("WHRtg_SF", 3),
            ("WChaDisChaMax_SF", 3),
            ("DisChaRte_SF", 0),
            ("SoC_SF", -2),
            ("DoD_SF", 0),
            ("SoH_SF", -2),
            ("V_SF", -1),
            ("CellV_SF", -3),
            ("A_SF", -1),
            ("AMax_SF", 0),
            ("W_SF", 2),
        ):
            getattr(b, name).value = sf
        b.AHRtg.value, b.WHRtg.value = 5_000, 4_000  # 4,000 x 10^3 Wh
        b.WChaRteMax.value = b.WDisChaRteMax.value = 2_000
        b.SoCMax.value, b.SoCMin.value = 9_500, 1_000
        self._bank.ModTmp_SF.value = -1
        m = self._meter
        m.TotWh_SF.value = 0
        m.W_SF.value = 2
        self.set_battery(
            soc_pct=50.0, soh_pct=99.0, cycles=0, volts=768.0, amps=0.0, watts=0, alarms=0
        )
        self.set_cells(min_volts=3.195, max_volts=3.205, min_temp_c=24.0, max_temp_c=26.5)
        self.set_counters(charged_wh=0, discharged_wh=0)

    def _render(self) -> list[int]:
        blob = b"SunS"
        for model in (self._common, self._battery, self._bank, self._meter):
            blob += model.get_mb()
        blob += b"\xff\xff\x00\x00"
        return [int.from_bytes(blob[i : i + 2], "big") for i in range(0, len(blob), 2)]

    def _update(self, **points: tuple[Any, str, Any]) -> None:
        with self._lock:
            for model, name, value in points.values():
                getattr(model, name).value = value
            self._image = self._render()

    # -- setters (engineering units; stored with the scale factors set in _defaults) --

    def set_battery(
        self,
        *,
        soc_pct: float | None = None,
        soh_pct: float | None = None,
        cycles: int | None = None,
        volts: float | None = None,
        amps: float | None = None,
        watts: int | None = None,
        alarms: int | None = None,
    ) -> None:
        b = self._battery
        changes: dict[str, tuple[Any, str, Any]] = {}
        if soc_pct is not None:
            changes["soc"] = (b, "SoC", round(soc_pct * 100))
        if soh_pct is not None:
            changes["soh"] = (b, "SoH", round(soh_pct * 100))
        if cycles is not None:
            changes["cyc"] = (b, "NCyc", cycles)
        if volts is not None:
            changes["v"] = (b, "V", round(volts * 10))
        if amps is not None:
            changes["a"] = (b, "A", round(amps * 10))
        if watts is not None:
            changes["w"] = (b, "W", watts // 100)
            changes["mw"] = (self._meter, "W", watts // 100)
        if alarms is not None:
            changes["evt"] = (b, "Evt1", alarms)
        self._update(**changes)

    def set_cells(
        self, *, min_volts: float, max_volts: float, min_temp_c: float, max_temp_c: float
    ) -> None:
        b, k = self._battery, self._bank
        self._update(
            vmin=(b, "CellVMin", round(min_volts * 1000)),
            vmax=(b, "CellVMax", round(max_volts * 1000)),
            tmin=(k, "ModTmpMin", round(min_temp_c * 10)),
            tmax=(k, "ModTmpMax", round(max_temp_c * 10)),
        )

    def set_counters(self, *, charged_wh: int, discharged_wh: int) -> None:
        """Set the meter's accumulators (in Wh, TotWh_SF = 0). A 203 meter's acc32 registers
        keep the value modulo 2^32, as a real 32-bit accumulator does when it rolls over."""
        if self.meter_model == 203:
            self._update(
                c=(self._meter, "TotWhImp", charged_wh % (1 << 32)),
                d=(self._meter, "TotWhExp", discharged_wh % (1 << 32)),
            )
        else:
            self._update(
                c=(self._meter, "TotWhAbs", charged_wh),
                d=(self._meter, "TotWhInj", discharged_wh),
            )

    # -- lifecycle --

    async def _action(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> None:
        # Every read sees the latest image the setters rendered.
        with self._lock:
            registers[: len(self._image)] = self._image

    def start(self) -> int:
        self.port = free_port()
        ready = threading.Event()
        errors: list[BaseException] = []

        async def main() -> None:
            size = len(self._image) + 64
            device = SimDevice(
                id=self.unit_id,
                simdata=[SimData(BASE_ADDRESS, count=size, values=0, datatype=DataType.REGISTERS)],
                action=self._action,
            )
            self._server = ModbusTcpServer(device, address=("127.0.0.1", self.port))
            try:
                await self._server.serve_forever(background=True)
            except BaseException as exc:
                errors.append(exc)
                ready.set()
                return
            ready.set()
            await self._server.serving

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(main())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="sunspec-server", daemon=True)
        self._thread.start()
        if not ready.wait(10) or errors:
            raise SourceUnavailable(f"SunSpec server on port {self.port}", repr(errors))
        return self.port

    def stop(self) -> None:
        if self._loop is not None and self._server is not None:
            server = self._server
            asyncio.run_coroutine_threadsafe(server.shutdown(), self._loop).result(10)
        if self._thread is not None:
            self._thread.join(10)
        self._thread = self._server = self._loop = None

    def __enter__(self) -> SunSpecBatteryServer:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
