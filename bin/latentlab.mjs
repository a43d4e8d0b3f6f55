#!/usr/bin/env node
// The latentlab command: runs the TypeScript sources through tsx (a runtime dependency).
import { register } from 'tsx/esm/api';

register();
const { handleClosedPipes } = await import('../src/cli/output.ts');
// First, so that `latentlab … | head` ends quietly even while the CLI is still loading.
handleClosedPipes(process);
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
