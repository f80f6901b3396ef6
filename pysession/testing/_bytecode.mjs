// Compiles every .py under a folder into module.pyc beside it, then removes the
// source, with the Pyodide a page will load: bytecode runs only on the Python that
// made it. Usage: node _bytecode.mjs <pyodide folder> <folder>
import path from "node:path";
import { pathToFileURL } from "node:url";

const [pyodideDir, folder] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(path.join(pyodideDir, "pyodide.mjs")).href);
// No column table in the bytecode: a traceback still names each line, in fewer bytes.
const pyodide = await loadPyodide({ indexURL: pyodideDir + "/", env: { PYTHONNODEBUGRANGES: "1" } });
pyodide.FS.mkdirTree("/bundle");
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: path.resolve(folder) }, "/bundle");
pyodide.runPython(`
import ast, importlib.util, marshal, pathlib

def without_docstrings(tree):
    # A page never reads a module's or a function's docstring. A class keeps its
    # own: a dataclass without one works out its signature to make one, slowly.
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef)) and ast.get_docstring(node) is not None:
            node.body = node.body[1:] or [ast.Pass()]
    return ast.fix_missing_locations(tree)

for source in sorted(pathlib.Path("/bundle").rglob("*.py")):
    name = source.relative_to("/bundle").as_posix()
    tree = without_docstrings(ast.parse(source.read_bytes(), name))
    code = compile(tree, name, "exec", dont_inherit=True, optimize=1)
    header = importlib.util.MAGIC_NUMBER + bytes(12)
    source.with_suffix(".pyc").write_bytes(header + marshal.dumps(code))
    source.unlink()
`);
