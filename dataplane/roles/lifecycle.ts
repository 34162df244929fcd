// Starting and stopping a role's parts in order: each part that started registers how to stop
// it; a failed start and a clean stop both undo them last-first (goodbye to NATS before the
// gRPC server closes, the server before the collectors, NATS last).
import type * as grpc from '@grpc/grpc-js';
import type { RoleLog } from './health.js';

export class Teardown {
  private readonly steps: { name: string; run: () => void | Promise<void> }[] = [];
  private done = false;

  constructor(
    private readonly log: RoleLog,
    /** A step that takes longer (a lost NATS server, a wedged collector) is left behind. */
    private readonly stepTimeoutMs = 10_000,
  ) {}

  add(name: string, run: () => void | Promise<void>): void {
    this.steps.push({ name, run });
  }

  /** Runs every step, last added first; a step that throws or hangs is logged and the rest still run. */
  async run(): Promise<void> {
    if (this.done) return;
    this.done = true;
    for (const step of this.steps.reverse()) {
      let timer: NodeJS.Timeout | undefined;
      try {
        const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.stepTimeoutMs)));
        if ((await Promise.race([Promise.resolve(step.run()), timedOut])) === 'timeout') this.log.warn({ step: step.name, timeoutMs: this.stepTimeoutMs }, 'stop step timed out; going on');
      } catch (err) {
        this.log.error({ step: step.name, err: (err as Error).message }, 'stop step failed');
      } finally {
        clearTimeout(timer);
      }
    }
  }
}

/** Lets running calls finish for up to `graceMs`, then cancels what is left. */
export async function shutdownServer(server: grpc.Server, graceMs = 5_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
    new Promise<void>((resolve) => (timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs))),
  ]);
  clearTimeout(timer);
}

/** Resolves with the first of SIGINT / SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
