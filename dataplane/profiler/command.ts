// `loupe profile`: CPU-profile one process, one cgroup v2 or the whole machine with the BPF
// profiler, and write folded stacks or pprof. Exit codes: 0 done, 1 cannot profile here
// (capabilities, addon), 2 bad arguments.
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseFlags, UsageError } from '../../lib/cli.js';
import { capabilities, NativeBpfError, type StartOptions, type UserStackMode } from '../../native-bpf/index.js';
import { checkPid, parseDuration, resolveCgroup, type CgroupTarget } from '../targets.js';
import { toFolded } from './folded.js';
import { encodePprof, toPprof } from './pprof.js';
import { runSession } from './session.js';

export const PROFILE_USAGE = `usage: loupe profile [--pid N | --cgroup PATH] [--duration 10s] [--frequency 99] [--event auto|cpu-clock|cycles]
                    [--user-stacks ip|build-id] [--format folded|pprof] [-o FILE]

  --pid N            only this process (default: every process)
  --cgroup PATH      only tasks in this cgroup v2 directory (absolute, or relative to the cgroup2 mount)
  --duration D       how long to sample: 500ms, 10s, 2m (default 10s); Ctrl-C ends early and still writes
  --frequency HZ     samples per second per CPU, 1 to 10000 (default 99)
  --event E          auto (default): hardware CPU cycles, or the software cpu-clock where there is no
                     hardware PMU (VMs); cycles: fail without a PMU; cpu-clock: the timer, always available
  --user-stacks M    ip (default): user frames as addresses, named through /proc/PID/maps; build-id: the
                     kernel reports (build-id, file offset) per frame, named through the file with that build-id
  --format F         folded (default; "comm;root;...;leaf count" lines) or pprof (gzipped protobuf)
  -o, --output FILE  write there instead of stdout`;

export interface ProfileRequest {
  pid?: number;
  cgroup?: CgroupTarget;
  durationMs: number;
  frequencyHz: number;
  userStackMode: UserStackMode;
  event: NonNullable<StartOptions['event']>;
  format: 'folded' | 'pprof';
  output?: string;
}

/** Validates the arguments (and the filesystem facts they name); throws UsageError. */
export function parseProfileArgs(args: string[]): ProfileRequest {
  const { values } = parseFlags({
    args,
    options: {
      pid: { type: 'string' },
      cgroup: { type: 'string' },
      duration: { type: 'string', default: '10s' },
      frequency: { type: 'string', default: '99' },
      'user-stacks': { type: 'string', default: 'ip' },
      event: { type: 'string', default: 'auto' },
      format: { type: 'string', default: 'folded' },
      output: { type: 'string', short: 'o' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.pid !== undefined && values.cgroup !== undefined) throw new UsageError('--pid and --cgroup: pass one of them, not both', '--pid');
  const durationMs = parseDuration(values.duration!);
  const frequencyHz = Number(values.frequency);
  if (!/^\d+$/.test(values.frequency!) || frequencyHz < 1 || frequencyHz > 10_000) {
    throw new UsageError(`--frequency "${values.frequency}": must be an integer from 1 to 10000 (Hz)`, '--frequency');
  }
  const userStackMode = values['user-stacks'];
  if (userStackMode !== 'ip' && userStackMode !== 'build-id') throw new UsageError(`--user-stacks "${userStackMode}": must be ip or build-id`, '--user-stacks');
  const event = values.event;
  if (event !== 'auto' && event !== 'cpu-clock' && event !== 'cycles') throw new UsageError(`--event "${event}": must be auto, cpu-clock or cycles`, '--event');
  const format = values.format;
  if (format !== 'folded' && format !== 'pprof') throw new UsageError(`--format "${format}": must be folded or pprof`, '--format');
  if (values.output !== undefined && !existsSync(dirname(resolve(values.output)))) {
    throw new UsageError(`-o "${values.output}": directory ${dirname(resolve(values.output))} does not exist`, '-o');
  }
  return {
    ...(values.pid !== undefined ? { pid: checkPid(values.pid) } : {}),
    ...(values.cgroup !== undefined ? { cgroup: resolveCgroup(values.cgroup) } : {}),
    durationMs,
    frequencyHz,
    userStackMode,
    event,
    format,
    ...(values.output !== undefined ? { output: values.output } : {}),
  };
}

/** Runs `loupe profile ARGS`; returns the exit code. Bad arguments throw UsageError; other errors go to stderr as one line. */
export async function profileCommand(args: string[]): Promise<number> {
  const fail = (code: number, message: string): number => {
    process.stderr.write(`loupe profile: ${message}\n`);
    return code;
  };
  const req = parseProfileArgs(args);
  if (req.format === 'pprof' && req.output === undefined && process.stdout.isTTY) {
    throw new UsageError('--format pprof writes binary data: pass -o FILE or redirect stdout', '--format');
  }

  // From here on Ctrl-C / SIGTERM end the profile early; what was sampled is still written.
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const target = req.pid !== undefined ? `pid ${req.pid}` : req.cgroup ? `cgroup ${req.cgroup.path} (id ${req.cgroup.id})` : 'all processes';
  let result;
  try {
    const caps = capabilities();
    if (!caps.ok) return fail(1, caps.message);
    result = await runSession({
      frequencyHz: req.frequencyHz,
      durationMs: req.durationMs,
      ...(req.pid !== undefined ? { pid: req.pid } : {}),
      ...(req.cgroup ? { cgroupPath: req.cgroup.path } : {}),
      userStackMode: req.userStackMode,
      event: req.event,
      signal: abort.signal,
      onStarted: (info) =>
        process.stderr.write(`loupe profile: sampling ${target} at ${req.frequencyHz} Hz for ${req.durationMs / 1000} s (event: ${info.event}, user stacks: ${info.userStackMode})\n`),
    });
  } catch (err) {
    if (err instanceof NativeBpfError) return fail(1, err.code === 'EPERF_NO_PMU' ? `${err.message} (--event cpu-clock or --event auto)` : err.message);
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  const c = result.counters;
  const losses = `lost: ${c.lostCountsMapFull} to a full counts map, ${c.lostUserStacks} user and ${c.lostKernStacks} kernel stacks`;
  let out: string | Buffer;
  if (req.format === 'pprof') {
    out = encodePprof(
      toPprof(result.samples, {
        frequencyHz: req.frequencyHz,
        timeNanos: result.startedAtNs,
        durationNanos: result.durationNs,
        comments: [`loupe profile ${target}`, `event: ${result.info.event}`, `user stacks: ${result.info.userStackMode}`, losses],
      }),
    );
  } else {
    out = toFolded(result.samples);
  }
  if (req.output !== undefined) writeFileSync(req.output, out);
  else process.stdout.write(out);
  process.stderr.write(
    `loupe profile: ${result.total} samples, ${result.samples.length} distinct stacks in ${(Number(result.durationNs) / 1e9).toFixed(1)} s; ${losses}; event: ${result.info.event}${req.output !== undefined ? `; wrote ${req.output}` : ''}\n`,
  );
  return 0;
}
