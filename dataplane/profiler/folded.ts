// Symbolized samples -> folded stacks ("comm;root;...;leaf count" per line, Brendan Gregg's
// format, kernel frames suffixed "_[k]" as perf and native-bpf write them), most frequent first.
import type { SymbolizedSample } from './samples.js';

export function toFolded(samples: SymbolizedSample[]): string {
  const merged = new Map<string, number>();
  for (const s of samples) {
    const comm = s.comm.replace(/[;\s]/g, '_') || '[unknown]';
    const frames = foldFrames(s);
    const line = frames ? `${comm};${frames}` : comm;
    merged.set(line, (merged.get(line) ?? 0) + s.count);
  }
  return [...merged.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([line, n]) => `${line} ${n}\n`)
    .join('');
}

/** A sample's frames root first, leaf last, joined by ";" (kernel frames suffixed "_[k]"). */
export function foldFrames(s: SymbolizedSample): string {
  const parts: string[] = [];
  for (let i = s.frames.length - 1; i >= 0; i--) {
    const f = s.frames[i]!;
    parts.push(f.name.replace(/;/g, ':') + (f.kernel ? '_[k]' : ''));
  }
  return parts.join(';');
}
