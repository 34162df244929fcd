// /healthz, /readyz and /metrics for the query roles, served by the HealthServer every Loupe
// process uses (lib/health-server.ts). Readiness is a list of named checks; /readyz says which
// ones still wait.
import type { Logger } from 'pino';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Readiness } from '../../lib/health-server.js';

export type { Readiness };

export type RoleLog = Pick<Logger, 'info' | 'warn' | 'error'>;

/** A readiness check: its name ("nats connected") and whether it holds now. */
export type ReadinessCheck = readonly [name: string, holds: () => boolean];

/** Ready when every check holds; the detail lists the checks that hold, or those that do not. */
export function readiness(checks: readonly ReadinessCheck[]): Readiness {
  const failing = checks.filter(([, holds]) => !holds()).map(([name]) => name);
  if (failing.length > 0) return { ready: false, detail: `waiting for: ${failing.join(', ')}` };
  return { ready: true, detail: checks.map(([name]) => name).join(', ') };
}

/** A registry with the process metrics and `loupe_ready`, per role. */
export function roleRegistry(role: string, ready: () => Readiness): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ role });
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'loupe_ready',
    help: '1 when /readyz answers 200, else 0.',
    registers: [registry],
    collect() {
      this.set(ready().ready ? 1 : 0);
    },
  });
  return registry;
}
