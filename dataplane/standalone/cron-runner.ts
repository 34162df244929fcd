// Runs standalone CronScripts on their schedules against the local engine and logs each run:
// rows per display, duration, or the error. A run never overlaps the previous run of the same
// script (the tick is skipped and counted), and each run stops at the script's timeout.
import { Cron } from 'croner';
import type { QueryResults } from '../query/results.js';
import type { StandaloneCronScript } from './cron-manifests.js';

export interface CronRun {
  readonly id: string;
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly succeeded: boolean;
  /** Rows per display. */
  readonly rows?: Readonly<Record<string, number>>;
  readonly error?: string;
}

export type ScriptExecutor = (script: StandaloneCronScript, signal: AbortSignal) => Promise<QueryResults>;

export class CronRunner {
  private readonly stops: (() => void)[] = [];
  private readonly running = new Map<string, AbortController>();
  readonly skipped = new Map<string, number>();

  constructor(
    private readonly scripts: readonly StandaloneCronScript[],
    private readonly execute: ScriptExecutor,
    private readonly onRun: (run: CronRun) => void,
  ) {}

  start(): void {
    for (const script of this.scripts) {
      if (script.suspend) continue;
      if (script.cron !== undefined) {
        const job = new Cron(script.cron, { protect: false }, () => void this.runOnce(script));
        this.stops.push(() => job.stop());
      } else {
        const timer = setInterval(() => void this.runOnce(script), script.everyMs!);
        this.stops.push(() => clearInterval(timer));
      }
    }
  }

  /** One run now (also what the schedule calls). Resolves when it has finished and been reported. */
  async runOnce(script: StandaloneCronScript): Promise<void> {
    if (this.running.has(script.id)) {
      this.skipped.set(script.id, (this.skipped.get(script.id) ?? 0) + 1);
      return;
    }
    const controller = new AbortController();
    this.running.set(script.id, controller);
    const timeout = setTimeout(() => controller.abort(new Error(`timed out after ${script.timeoutMs} ms (spec.timeout)`)), script.timeoutMs);
    const startedAt = new Date();
    const t0 = performance.now();
    try {
      const results = await this.execute(script, controller.signal);
      if (controller.signal.aborted) throw controller.signal.reason;
      this.onRun({ id: script.id, startedAt, durationMs: Math.round(performance.now() - t0), succeeded: true, rows: Object.fromEntries(results.tables.map((t) => [t.name, t.rows.length])) });
    } catch (err) {
      const error = controller.signal.aborted && controller.signal.reason instanceof Error ? controller.signal.reason.message : err instanceof Error ? err.message : String(err);
      this.onRun({ id: script.id, startedAt, durationMs: Math.round(performance.now() - t0), succeeded: false, error });
    } finally {
      clearTimeout(timeout);
      this.running.delete(script.id);
    }
  }

  /** Stops the schedules and aborts runs in progress. */
  stop(): void {
    for (const stop of this.stops) stop();
    this.stops.length = 0;
    for (const c of this.running.values()) c.abort(new Error('the server is stopping'));
  }
}
