// A plain Pyodide app using pysession, no PyScript: load Pyodide, install the
// pysession wheel from its URL, run the app's Python (app.py) with
// runPythonAsync. An existing Pyodide app adds the loadPackage line.
import { loadPyodide } from "../../node_modules/pyodide/pyodide.mjs";

const here = (path) => new URL(path, import.meta.url).href;
const WHEEL = here("../../dist/pysession_canton-0.1.0-py3-none-any.whl");

async function main() {
  const pyodide = await loadPyodide({ indexURL: here("../../node_modules/pyodide/") });
  // loadPackage reports a failed download through errorCallback and resolves anyway.
  const errors = [];
  await pyodide.loadPackage(WHEEL, { errorCallback: (message) => errors.push(message) });
  if (errors.length) throw new Error(`installing ${WHEEL} failed: ${errors.join(" ")}`);
  const app = await fetch(here("app.py"));
  if (!app.ok) throw new Error(`fetching app.py failed: HTTP ${app.status}`);
  await pyodide.runPythonAsync(await app.text(), { filename: "app.py" });
}

main().catch((error) => {
  document.getElementById("loading-title").textContent = `Failed to start: ${error.message}`;
  console.error(error);
});
