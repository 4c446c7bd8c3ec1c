// Bundles the console's browser scripts from node_modules (run by `make setup`): esbuild, plus
// one plugin so that tiny-secp256k1 (libsecp256k1 compiled to WebAssembly) can load its .wasm
// in the verification worker: the module is embedded and instantiated synchronously, which
// browsers allow in workers.
import { build } from "esbuild";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fs from "node:fs";

const here = path.dirname(fileURLToPath(import.meta.url));

const wasmModule = {
  name: "wasm-module",
  setup(b) {
    b.onResolve({ filter: /\.wasm$/ }, (args) => ({
      path: path.resolve(args.resolveDir, args.path),
      namespace: "wasm-module",
    }));
    b.onLoad({ filter: /.*/, namespace: "wasm-module" }, (args) => {
      const mod = new WebAssembly.Module(fs.readFileSync(args.path));
      const imports = [...new Set(WebAssembly.Module.imports(mod).map((i) => i.module))];
      const names = WebAssembly.Module.exports(mod).map((e) => e.name);
      const lines = [`import bytes from ${JSON.stringify(args.path + "?bytes")};`];
      imports.forEach((m, i) => lines.push(`import * as m${i} from ${JSON.stringify(m)};`));
      lines.push(
        `const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {${imports.map((m, i) => `${JSON.stringify(m)}: m${i}`).join(", ")}});`,
        ...names.map((n) => `export const ${n} = instance.exports.${n};`),
      );
      return { contents: lines.join("\n"), resolveDir: path.dirname(args.path), loader: "js" };
    });
    b.onResolve({ filter: /\.wasm\?bytes$/ }, (args) => ({ path: args.path.replace(/\?bytes$/, ""), namespace: "wasm-bytes" }));
    b.onLoad({ filter: /.*/, namespace: "wasm-bytes" }, (args) => ({ contents: fs.readFileSync(args.path), loader: "binary" }));
  },
};

await build({
  entryPoints: ["verify.js", "verify-worker.js", "charts.js", "signin.js", "wallet.js", "passport-charts.js", "operator.js", "review.js"].map((f) => path.join(here, "src", f)),
  outdir: path.join(here, "dist"),
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2020",
  platform: "browser",
  logLevel: "warning",
  plugins: [wasmModule],
});
