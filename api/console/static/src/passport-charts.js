// A passport's health charts (ECharts, tree-shaken like the station day charts): SOH, cycles and
// throughput, cell temperatures over the snapshot days. Data comes from the page (#passport-data).
import * as echarts from "echarts/core";
import { LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import { SVGRenderer } from "echarts/renderers";
import { chartDrawer } from "./chart-kit.js";

echarts.use([LineChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

const data = JSON.parse(document.getElementById("passport-data").textContent);
const label = JSON.parse(document.getElementById("passport-labels").textContent);
const x = { type: "category", data: data.day.map((d) => new Date(d * 86400000).toISOString().slice(0, 10)) };
const grid = { left: 56, right: 56, top: 36, bottom: 28 };
const { draw, charts } = chartDrawer(echarts, { legend: { top: 0 }, grid, xAxis: x });

const line = (name, values, extra = {}) => ({ name, type: "line", showSymbol: values.length < 40, data: values, ...extra });

draw("chart-soh", {
  yAxis: { type: "value", scale: true, axisLabel: { formatter: "{value}%" } },
  series: [line(label.soh, data.soh)],
});
draw("chart-cycles", {
  yAxis: [{ type: "value", scale: true, name: label.cycles }, { type: "value", scale: true, name: "kWh" }],
  series: [
    line(label.cycles, data.cycles),
    line(label.charged, data.charged_kwh, { yAxisIndex: 1 }),
    line(label.discharged, data.discharged_kwh, { yAxisIndex: 1 }),
  ],
});
draw("chart-temp", {
  yAxis: { type: "value", scale: true, axisLabel: { formatter: "{value} °C" } },
  series: [line(label.tmin, data.temp_min), line(label.tmax, data.temp_max)],
});
window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
