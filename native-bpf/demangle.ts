// C++ symbol names (Itanium ABI, "_Z...") -> readable ones, through the addon's
// abi::__cxa_demangle; each distinct name is demangled once per process.
import { loadAddon } from './addon.js';

const cache = new Map<string, string>();

/** Demangles what is mangled; returns C names and names the demangler rejects unchanged. */
export function demangleAll(names: string[]): string[] {
  const todo = [...new Set(names.filter((n) => n.startsWith('_Z') && !cache.has(n)))];
  if (todo.length > 0) {
    const done = loadAddon().demangle(todo);
    todo.forEach((n, i) => cache.set(n, done[i]!));
  }
  return names.map((n) => cache.get(n) ?? n);
}

export function demangle(name: string): string {
  return demangleAll([name])[0]!;
}
