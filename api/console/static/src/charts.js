// The station day charts (ECharts, tree-shaken): SOC/SOH, stacked energy per participant,
// curtailed share and alarms. Data comes from the page itself (#day-data), no extra request.
import * as echarts from "echarts/core";
import { BarChart, LineChart, ScatterChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import { SVGRenderer } from "echarts/renderers";
import { chartDrawer } from "./chart-kit.js";

echarts.use([BarChart, LineChart, ScatterChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

const data = JSON.parse(document.getElementById("day-data").textContent);
const label = JSON.parse(document.getElementById("day-labels").textContent);
const hhmm = (t) => new Date((t + 8 * 3600) * 1000).toISOString().slice(11, 16); // UTC+8
const x = { type: "category", data: data.t.map(hhmm) };
const grid = { left: 48, right: 16, top: 36, bottom: 28 };
const short = (a) => `${a.slice(0, 6)}…${a.slice(-4)}`;
const { draw, charts } = chartDrawer(echarts, { grid, xAxis: x });

draw("chart-soc", {
  legend: { top: 0 },
  yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
  series: [
    { name: label.soc, type: "line", showSymbol: false, data: data.soc },
    { name: label.soh, type: "line", showSymbol: false, data: data.soh },
  ],
});
draw("chart-energy", {
  grid: { ...grid, top: 60 },
  legend: { top: 0, type: "scroll" },
  yAxis: { type: "value", name: "kWh" },
  series: data.participants.flatMap((p) => [
    { name: `${short(p.address)} ${label.charged}`, type: "bar", stack: "charged", data: p.charged_kwh },
    { name: `${short(p.address)} ${label.discharged}`, type: "bar", stack: "discharged", data: p.discharged_kwh },
  ]),
});
draw("chart-curtailed", {
  legend: { top: 0 },
  yAxis: [
    { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    { type: "value", min: 0, minInterval: 1, show: false },
  ],
  series: [
    { name: label.curtailed, type: "bar", data: data.curtailed_share },
    {
      name: label.alarms, type: "scatter", yAxisIndex: 1, symbolSize: 8,
      data: data.alarms.map((bits) => (bits ? 1 : null)),
    },
  ],
});
window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
