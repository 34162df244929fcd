// /proc/PID/cmdline: the arguments, each ending in NUL.

/** The arguments joined by spaces ('' for a kernel thread or a zombie, whose file is empty). */
export function parseCmdline(raw: Buffer | string): string {
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  return text.replace(/\0+$/, '').replaceAll('\0', ' ');
}
