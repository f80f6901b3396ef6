// PyScript, for pages whose Python runs on the main thread only, under a CSP
// without 'unsafe-eval'.
//
// PyScript 0.7.31 turns the hooks it registers for worker threads into code
// with Function() while it starts, workers or not; a CSP without 'unsafe-eval'
// stops that with an EvalError and no script runs. Its one built-in worker
// hook (hooks.worker.onBeforeRunAsync, which sets up pyscript.fs inside
// workers) is useless here, as this page starts no worker; with it removed
// there is nothing to compile and PyScript starts under
// script-src 'self' 'wasm-unsafe-eval'. A page that uses workers needs the
// hook back, and 'unsafe-eval' with it.
//
// `hooks` is PyScript's public plugin API. The import runs core.js (which
// starts PyScript); this module's body runs before PyScript defines its
// script types, which is when the hooks are read.
import { hooks } from "../node_modules/@pyscript/core/dist/core.js";

hooks.worker.onBeforeRunAsync.clear();
