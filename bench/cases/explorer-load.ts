/**
 * Case explorer-load (issue 15): a bounded load test of `latentlab serve` on 127.0.0.1 — CLIENTS
 * concurrent keep-alive clients, each fetching in turn the app page, the runs list, a run's
 * detail, one of its arrays (.npy bytes) and one of its figures, as fast as answers come, for
 * DURATION_MS. The server runs in a process of its own (`latentlab serve`, as a user starts it), so
 * the clients in this process do not share its event loop. The runs folder holds a small DESOM run
 * made for the case.
 *
 * Unit: ms, the 99th percentile of the request latencies; detail: requests, requests per second,
 * p50 / p90 / p99 / max, errors (a failed connection or any status but 200) and bytes received. No
 * peer. The bar is zero errors.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runToEnd, startRun } from '../../src/runs/api.js';
import type { BenchCase, Row } from '../common.js';

const CLIENTS = 200;
const DURATION_MS = 30_000;
const RUN = 'desom-load';

const bin = join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'latentlab.mjs');

/** Starts `latentlab serve` on a free port; resolves with its URL once it prints it. */
function serve(runs: string): Promise<{ url: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'serve', '--runs', runs, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (c: Buffer): void => {
      out += c.toString();
      const m = /http:\/\/127\.0\.0\.1:\d+/.exec(out);
      if (m !== null) resolve({ url: m[0], child });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`explorer-load: latentlab serve exited (${code}) before printing its URL: ${out.trim()}`)));
  });
}

/** One GET: its status and byte count, or the error. */
function get(agent: Agent, url: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export const explorerLoadCase: BenchCase = {
  name: 'explorer-load',
  description: `latentlab serve under ${CLIENTS} concurrent keep-alive clients for ${DURATION_MS / 1000} s (page, runs list, run detail, an array, a figure): p99 latency, errors`,
  async run(ctx) {
    const runs = ctx.tmpPath('explorer-load');
    await runToEnd(
      startRun('desom', {
        out: runs,
        runId: RUN,
        values: { limit: 2000, map: '4x4', hidden: [64], latent: 4, iterations: 100, eval_every: 50, eval_sample: 500, projection: 'none' },
      }),
    );
    const { url, child } = await serve(runs);
    try {
      const paths = ['/', '/api/runs', `/api/runs/${RUN}`, `/api/runs/${RUN}/arrays/codes`, `/api/runs/${RUN}/files/figures/loss.svg`];
      // Every path answers 200 before the clock starts: a load test of error pages would prove nothing.
      const warm = new Agent({ keepAlive: true });
      for (const p of paths) {
        const r = await get(warm, url + p);
        if (r.status !== 200) throw new Error(`explorer-load: GET ${p} answered ${r.status} before the test`);
      }
      warm.destroy();
      const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
      const latencies: number[] = [];
      let errors = 0;
      let bytes = 0;
      const firstErrors: string[] = [];
      const end = performance.now() + DURATION_MS;
      const client = async (c: number): Promise<void> => {
        for (let i = c; performance.now() < end; i++) {
          const p = paths[i % paths.length];
          const t0 = performance.now();
          try {
            const r = await get(agent, url + p);
            latencies.push(performance.now() - t0);
            bytes += r.bytes;
            if (r.status !== 200) {
              errors++;
              if (firstErrors.length < 5) firstErrors.push(`${p}: ${r.status}`);
            }
          } catch (e) {
            errors++;
            if (firstErrors.length < 5) firstErrors.push(`${p}: ${(e as Error).message}`);
          }
        }
      };
      const t0 = performance.now();
      await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
      const seconds = (performance.now() - t0) / 1000;
      agent.destroy();
      const sorted = Float64Array.from(latencies).sort();
      const detail = {
        clients: CLIENTS,
        seconds,
        requests: latencies.length,
        requests_per_s: latencies.length / seconds,
        p50_ms: percentile(sorted, 50),
        p90_ms: percentile(sorted, 90),
        p99_ms: percentile(sorted, 99),
        max_ms: sorted[sorted.length - 1],
        errors,
        first_errors: firstErrors,
        megabytes: bytes / 1e6,
        paths,
      };
      ctx.log(
        `explorer-load: ${latencies.length} requests in ${seconds.toFixed(1)} s (${detail.requests_per_s.toFixed(0)}/s), p50 ${detail.p50_ms.toFixed(1)} ms, p99 ${detail.p99_ms.toFixed(1)} ms, ${errors} errors`,
      );
      const row: Row = { case: 'explorer-load', unit: 'ms', ours: detail.p99_ms, peer: null, peer_name: null, ratio: null, env: ctx.env(), detail };
      return [row];
    } finally {
      child.kill('SIGINT');
    }
  },
};
