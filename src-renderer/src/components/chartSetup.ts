/** chart.js, registered once with the pieces the app uses and the dark theme's defaults. */
import { Chart, LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Tooltip, Legend } from 'chart.js';
import zoomPlugin from 'chartjs-plugin-zoom';

let registered = false;

export function setupCharts(): typeof Chart {
  if (registered) return Chart;
  registered = true;
  Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Tooltip, Legend, zoomPlugin);
  Chart.defaults.color = '#9aa3b2';
  Chart.defaults.borderColor = '#232833';
  Chart.defaults.font.size = 11;
  Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', sans-serif";
  return Chart;
}
