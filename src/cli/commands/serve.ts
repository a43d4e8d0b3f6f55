/**
 * `latentlab serve`: the explorer (src/serve) over a runs folder, until Ctrl-C. Prints the URL;
 * `--open` asks the desktop to open it (xdg-open, open, start) and carries on if that fails.
 */
import { spawn } from 'node:child_process';
import { Option, type Command } from 'commander';
import { startServer } from '../../serve/server.js';
import { UsageError } from '../errors.js';
import type { CommandHooks } from '../options.js';
import type { Output } from '../output.js';

export interface ServeFlags {
  runs: string;
  port: string;
  host: string;
  open?: boolean;
}

/** Asks the desktop to open `url` in a browser; any failure (no desktop, no opener) is ignored. */
function openBrowser(url: string): void {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // no opener: the URL is printed anyway
  }
}

/** Serves until SIGINT / SIGTERM, then closes the server; resolves with the exit code. */
export async function serve(flags: ServeFlags, out: Output): Promise<number> {
  const port = Number(flags.port);
  if (!/^\d+$/.test(flags.port) || port > 65535) throw new UsageError(`serve: --port expects a port number 0..65535, got "${flags.port}"`);
  const server = await startServer({ runsDir: flags.runs, host: flags.host, port });
  if (server.warning !== null) process.stderr.write(`latentlab: warning: ${server.warning}\n`);
  out.notice(`serve: the runs in ${server.runsDir}${server.appSource === 'memory' ? ' (app built from web/)' : ''}; Ctrl-C stops`);
  out.line(server.url);
  out.result({ url: server.url, runs: server.runsDir });
  if (flags.open) openBrowser(server.url);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  await server.close();
  out.notice(`serve: stopped (${signal})`);
  return 0;
}

/** Registers `latentlab serve`. */
export function registerServe(program: Command, hooks: CommandHooks): void {
  program
    .command('serve')
    .description('the explorer: a local web app over the runs folder (runs, curves, figures, live training)')
    .addOption(new Option('--runs <dir>', 'runs folder to serve (default: --out, i.e. runs)'))
    .option('--port <n>', 'port (0: any free port)', '8080')
    .option('--host <address>', 'address to listen on; anything but 127.0.0.1 / localhost exposes the runs to the network', '127.0.0.1')
    .option('--open', 'open the explorer in the browser')
    .action(async (o: { runs?: string; port: string; host: string; open?: boolean }, cmd: Command) => {
      const runs = o.runs ?? cmd.optsWithGlobals<{ out: string }>().out;
      hooks.done(await serve({ ...o, runs }, hooks.output(cmd)));
    });
}
