// The one Loupe program: `loupe <command> [flags]` (bin/commands.ts lists them). Each
// Deployment/DaemonSet the operator renders runs one role. Exit codes: what the command
// returns; 2 for a flag or variable it cannot use (a UsageError, printed as one line naming the
// command), an unknown command or a role not built yet; 1 for anything else that went wrong.
import { readFileSync } from 'node:fs';
import { ROLES, VIZIER_ROLE_CONTRACTS, type RoleContract } from '../crds/contract/index.js';
import { roleUsage } from '../crds/contract/role-config.js';
import { UsageError } from '../lib/cli.js';
import { COMMANDS, type Command } from './commands.js';

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  const notBuilt = ROLES.filter((r) => !COMMANDS.some((c) => c.name === r));
  return [
    'usage: loupe <role> [flags]',
    '       loupe <command> [flags]',
    '       loupe --version',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)} ${c.summary}`),
    `  not built yet: ${notBuilt.join(', ')}`,
    '',
    'loupe <command> --help prints its flags.',
  ].join('\n');
}

/** "loupe 0.1.0 (node 24.22.3, linux x64)": the version package.json (beside dist/) names, and the Node running it. */
function versionLine(): string {
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `loupe ${version} (node ${process.versions.node}, ${process.platform} ${process.arch})`;
}

/** --help or -h anywhere before a `--` that ends the flags. */
function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

async function run(command: Command, args: string[]): Promise<number> {
  if (wantsHelp(args)) {
    console.log(await command.usage());
    return 0;
  }
  try {
    return await command.run(args);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`loupe ${command.name}: ${err.message} (see loupe ${command.name} --help)`);
      return 2;
    }
    console.error(`loupe ${command.name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  }
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    console.log(versionLine());
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command) return run(command, args);
  if ((ROLES as readonly string[]).includes(name)) {
    // What the operator already gives a role not built yet, from its contract.
    const contract = (VIZIER_ROLE_CONTRACTS as Readonly<Record<string, RoleContract>>)[name];
    if (contract && wantsHelp(args)) {
      console.log(roleUsage(contract));
      return 0;
    }
    console.error(`loupe ${name}: this role is not built yet (see README.md, "Status")`);
    return 2;
  }
  console.error(`loupe: unknown command "${name}"\n\n${usage()}`);
  return 2;
}

main(process.argv.slice(2)).then((code) => process.exit(code));
