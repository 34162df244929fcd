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

/** A command whose code is the module `load` imports, asked for only when the command is used. */
function lazy<M>(name: string, summary: string, load: () => Promise<M>, usage: (m: M) => string, run: (m: M, args: string[]) => Promise<number>): Command {
  return { name, summary, usage: async () => usage(await load()), run: async (args) => run(await load(), args) };
}

const serviceRole = (name: 'pem' | 'kelvin' | 'query-broker' | 'metadata', summary: string): Command =>
  lazy(name, summary, () => Promise.all([import('../dataplane/roles/config.js'), import('../dataplane/roles/command.js')]),
    ([config]) => config.USAGE[name], ([, command], args) => command.roleCommand(name, args));

export const COMMANDS: readonly Command[] = [
  lazy('standalone', 'Loupe on this host alone: collectors, table store, PxL API', () => import('../dataplane/standalone/command.js'),
    (m) => m.STANDALONE_USAGE, (m, args) => m.standaloneCommand(args)),
  lazy('run', 'run a PxL script (px/NAME or a file) against a query API', () => import('../dataplane/roles/run-command.js'),
    (m) => m.runUsage(), (m, args) => m.runCommand(args)),
  lazy('profile', 'CPU-profile a process, a cgroup or every process', () => import('../dataplane/profiler/command.js'),
    (m) => m.PROFILE_USAGE, (m, args) => m.profileCommand(args)),
  lazy('trace', 'record HTTP traffic of a process, a cgroup or every process', () => import('../dataplane/collectors/trace-command.js'),
    (m) => m.TRACE_USAGE, (m, args) => m.traceCommand(args)),
  // operator/ does not know the controllers (eslint: operator/ never imports controllers/); they meet here.
  lazy('operator', 'reconcile Vizier (and, as they land, the other Loupe kinds)', () => Promise.all([import('../operator/command.js'), import('../controllers/index.js')]),
    ([command]) => command.OPERATOR_USAGE, ([command, controllers], args) => command.operatorCommand(args, controllers.operatorControllers)),
  serviceRole('pem', "a node's agent: collectors, table store, query fragments, NATS announce"),
  serviceRole('kelvin', "merges the PEMs' partial results for a query"),
  serviceRole('query-broker', 'the query API over the PEMs and Kelvins NATS announced'),
  serviceRole('metadata', "the cluster's pods and services for the agents, once, over NATS; the agent registry"),
];
