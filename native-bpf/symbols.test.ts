// Separate debug files: a stripped executable's internal functions are named from the .symtab of
// the debug file installed under DIR/.build-id/xx/rest.debug, and only when its build-id matches.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { ElfFile, Symbolizer } from './symbols.js';

// A static function is in .symtab only: strip leaves .dynsym, which has exported symbols alone.
const PROGRAM_C = `
#include <stdio.h>
#include <unistd.h>
__attribute__((noinline)) static int loupe_internal_step(int x) { return x * 3 + 1; }
int main(void) {
  printf("%p %d\\n", (void *)loupe_internal_step, loupe_internal_step(2));
  fflush(stdout);
  char c;
  return read(0, &c, 1) < 0;
}
`;

const noDemangle = (name: string) => name;

describe('separate debug files (DIR/.build-id/xx/rest.debug)', () => {
  let dir: string;
  let stripped: string;
  let debugFile: string;
  let child: ChildProcess;
  let address: bigint;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'loupe-debug-files-'));
    writeFileSync(join(dir, 'prog.c'), PROGRAM_C);
    stripped = join(dir, 'prog');
    execFileSync('cc', ['-O1', '-Wl,--build-id', '-o', stripped, join(dir, 'prog.c')]);
    debugFile = join(dir, 'prog.debug');
    execFileSync('objcopy', ['--only-keep-debug', stripped, debugFile]);
    execFileSync('strip', ['--strip-all', stripped]);
    child = spawn(stripped, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    const first = await createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next();
    if (first.done) throw new Error('the test program exited before printing its address');
    address = BigInt(first.value.split(' ')[0]!);
  });
  after(() => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  /** A debug root holding `file` at the path of the stripped program's build-id. */
  function debugRoot(name: string, file: string): string {
    const id = ElfFile.open(stripped)!.buildId;
    const root = join(dir, name);
    mkdirSync(join(root, '.build-id', id.slice(0, 2)), { recursive: true });
    copyFileSync(file, join(root, '.build-id', id.slice(0, 2), `${id.slice(2)}.debug`));
    return root;
  }

  const nameAt = (debugDirs: string[]) => new Symbolizer({ debugDirs, demangle: noDemangle }).user(child.pid!, address, false).name;

  it('the stripped program keeps only .dynsym, without the static function', () => {
    const elf = ElfFile.open(stripped, [])!;
    assert.equal(elf.hasSymtab, false);
    assert.match(elf.buildId, /^[0-9a-f]{40}$/);
    assert.notEqual(nameAt([]), 'loupe_internal_step');
  });

  it('names the static function from the debug file with the same build-id', () => {
    const debug = ElfFile.open(debugFile)!;
    assert.equal(debug.hasSymtab, true);
    assert.equal(debug.buildId, ElfFile.open(stripped)!.buildId);
    assert.equal(nameAt([join(dir, 'missing'), debugRoot('good', debugFile)]), 'loupe_internal_step');
  });

  it('ignores a file at that path whose build-id differs (another build of the program)', () => {
    const other = join(dir, 'other');
    execFileSync('cc', ['-O1', '-DOTHER_BUILD=1', '-Wl,--build-id', '-o', other, '-x', 'c', '-'], { input: `${PROGRAM_C}\nint other_build = OTHER_BUILD;\n` });
    assert.notEqual(ElfFile.open(other)!.buildId, ElfFile.open(stripped)!.buildId);
    assert.notEqual(nameAt([debugRoot('wrong', other)]), 'loupe_internal_step');
  });
});
