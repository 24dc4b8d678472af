// ECharts, only the parts the overview uses (tree-shaken), rendered to canvas.
import * as echarts from 'echarts/core';
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export type Option = echarts.EChartsCoreOption;

const live = new Set<echarts.ECharts>();
window.addEventListener('resize', () => live.forEach((c) => c.resize()));

/** Draws `option` into `el` (which must be in the document and have a size). */
export function chart(el: HTMLElement, option: Option): echarts.ECharts {
  for (const c of live) if (!c.getDom().isConnected) { c.dispose(); live.delete(c); }
  const c = echarts.init(el, undefined, { renderer: 'canvas' });
  c.setOption({ animation: false, textStyle: { fontFamily: 'inherit' }, ...option });
  live.add(c);
  return c;
}

export const palette = ['#2f6fdd', '#e4572e', '#f2a541', '#29a36a', '#8a4fcf', '#17a2b8', '#d94f8b', '#6c757d', '#b5a000', '#1b4f72'];
