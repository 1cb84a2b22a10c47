#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm install` through the prepare script).
import { main } from '../dist/cli/main.js';

// A reader that stops early (`entente export | head`) closes the pipe: the command finishes its work (an import is
// not cut short) with nothing more written, instead of dying on an EPIPE.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
  });

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`entente: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
