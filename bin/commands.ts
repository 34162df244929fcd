// Every `loupe` command, in the order `loupe --help` lists them. Each loads its own code only
// when asked (`loupe profile` need not load the Kubernetes client, kelvin never loads the eBPF
// addon), so usage() and run() import on demand.
export interface Command {
  readonly name: string;
  /** One line for `loupe --help`. */
  readonly summary: string;
  /** The help text `loupe NAME --help` prints. */
  usage(): Promise<string>;
  /**
   * Runs with the arguments after the name and resolves with the exit code. A flag or variable
   * it cannot use is a UsageError (lib/cli.ts), thrown before anything starts: exit 2.
   */
  run(args: string[]): Promise<number>;
}

function queryRole(name: 'pem' | 'kelvin' | 'query-broker', summary: string): Command {
  return {
    name,
    summary,
    usage: async () => (await import('../dataplane/roles/config.js')).USAGE[name],
    run: async (args) => (await import('../dataplane/roles/command.js')).roleCommand(name, args),
  };
}

export const COMMANDS: readonly Command[] = [
  {
    name: 'standalone',
    summary: 'Loupe on this host alone: collectors, table store, PxL API',
    usage: async () => (await import('../dataplane/standalone/command.js')).STANDALONE_USAGE,
    run: async (args) => (await import('../dataplane/standalone/command.js')).standaloneCommand(args),
  },
  {
    name: 'run',
    summary: 'run a PxL script (px/NAME or a file) against a query API',
    usage: async () => (await import('../dataplane/roles/run-command.js')).runUsage(),
    run: async (args) => (await import('../dataplane/roles/run-command.js')).runCommand(args),
  },
  {
    name: 'profile',
    summary: 'CPU-profile a process, a cgroup or every process',
    usage: async () => (await import('../dataplane/profiler/command.js')).PROFILE_USAGE,
    run: async (args) => (await import('../dataplane/profiler/command.js')).profileCommand(args),
  },
  {
    name: 'trace',
    summary: 'record HTTP traffic of a process, a cgroup or every process',
    usage: async () => (await import('../dataplane/collectors/trace-command.js')).TRACE_USAGE,
    run: async (args) => (await import('../dataplane/collectors/trace-command.js')).traceCommand(args),
  },
  {
    name: 'operator',
    summary: 'reconcile Vizier (and, as they land, the other Loupe kinds)',
    usage: async () => (await import('../operator/command.js')).OPERATOR_USAGE,
    run: async (args) => {
      const [{ operatorCommand }, { operatorControllers }] = await Promise.all([import('../operator/command.js'), import('../controllers/index.js')]);
      return operatorCommand(args, operatorControllers());
    },
  },
  queryRole('pem', "a node's agent: collectors, table store, query fragments, NATS announce"),
  queryRole('kelvin', "merges the PEMs' partial results for a query"),
  queryRole('query-broker', 'the query API over the PEMs and Kelvins NATS announced'),
];
