#!/usr/bin/env node
// A solc-compatible command line over solc-js, for py-solc-x's `solc_binary`.
// Answers `--version` and `--standard-json` (input on stdin, output on stdout), resolving
// imports such as `@openzeppelin/...` from the project's node_modules.
'use strict';
const fs = require('fs');
const path = require('path');

const root = process.env.ESSL_NODE_ROOT || process.cwd();
let solc;
try {
  solc = require(require.resolve('solc', { paths: [root] }));
} catch (err) {
  process.stderr.write(`solc-js not found under ${root}/node_modules: run \`npm ci\`\n`);
  process.exit(3);
}

function findImports(importPath) {
  const candidates = [path.join(root, 'node_modules', importPath), path.join(root, importPath)];
  for (const candidate of candidates) {
    if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, 'utf8') };
  }
  return { error: `File not found: ${importPath}` };
}

const args = process.argv.slice(2);
if (args.includes('--version')) {
  const full = solc.version();
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${full}\n`);
  process.exit(0);
}
if (args.includes('--standard-json')) {
  const chunks = [];
  process.stdin.on('data', (c) => chunks.push(c));
  process.stdin.on('end', () => {
    const input = Buffer.concat(chunks).toString('utf8');
    process.stdout.write(solc.compile(input, { import: findImports }));
  });
} else {
  process.stderr.write('usage: solc_shim.js --version | --standard-json < input.json\n');
  process.exit(2);
}
