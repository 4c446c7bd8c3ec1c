// What the console's chart pages share: draw one ECharts chart per element, and mark the page
// once every chart has finished drawing (the browser tests and `bench console` wait for it).
export function chartDrawer(echarts, base) {
  const charts = [];
  let pending = 0;
  function draw(id, option) {
    const el = document.getElementById(id);
    const chart = echarts.init(el, null, { renderer: "svg" });
    pending += 1;
    chart.on("finished", () => {
      if (el.dataset.drawn) return;
      el.dataset.drawn = "1";
      pending -= 1;
      if (pending === 0) document.body.dataset.chartsDrawn = String(Math.round(performance.now()));
    });
    chart.setOption({ animation: false, tooltip: { trigger: "axis" }, ...base, ...option });
    charts.push(chart);
  }
  return { draw, charts };
}
