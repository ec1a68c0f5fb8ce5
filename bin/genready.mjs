#!/usr/bin/env node
// Entry point: runs the TypeScript sources through tsx so that the CLI is always the code in src/.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
