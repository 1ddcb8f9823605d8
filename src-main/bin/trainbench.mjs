#!/usr/bin/env node
// The `trainbench` command: builds if needed, then runs the CLI (src-main/host/cli.ts).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { buildIfNeeded, ROOT } from './build-if-needed.mjs';

buildIfNeeded();
createRequire(import.meta.url)(join(ROOT, 'out', 'main', 'cli.js'));
