// The one error a PxL script can get at compile time: what was wrong, where (1-based line and
// column), and, once the compiler attaches the script text, an excerpt with a caret.

/** A 1-based position in the script (columns count UTF-16 code units, as editors do). */
export interface Pos {
  readonly line: number;
  readonly column: number;
}

export type PxlErrorCode =
  | 'syntax'
  | 'unsupported'
  | 'unknown_name'
  | 'unknown_table'
  | 'unknown_column'
  | 'unknown_function'
  | 'argument'
  | 'type'
  | 'value'
  | 'limit'
  | 'no_output';

export class PxlCompileError extends Error {
  override readonly name = 'PxlCompileError';
  readonly line: number;
  readonly column: number;
  private sourceText: string | undefined;
  private fileName = 'script.pxl';

  constructor(
    readonly code: PxlErrorCode,
    message: string,
    at: Pos,
  ) {
    super(message);
    this.line = at.line;
    this.column = at.column;
  }

  /** Attaches the script so format() can quote the offending line. Returns this. */
  withSource(source: string, file?: string): this {
    this.sourceText = source;
    if (file !== undefined) this.fileName = file;
    return this;
  }

  get file(): string {
    return this.fileName;
  }

  /** The offending source line, when the script is attached. */
  get sourceLine(): string | undefined {
    if (this.sourceText === undefined) return undefined;
    const line = this.sourceText.split(/\r\n|\r|\n/)[this.line - 1];
    return this.line === 1 ? line?.replace(/^\uFEFF/, '') : line;
  }

  /** `file:line:col: message`, then the source line and a caret under the column. */
  format(): string {
    const head = `${this.fileName}:${this.line}:${this.column}: ${this.message}`;
    let text = this.sourceLine;
    if (text === undefined) return head;
    let col = Math.max(0, this.column - 1);
    // Very long lines: show a window around the column.
    const WIDTH = 80;
    if (text.length > 2 * WIDTH) {
      const from = Math.max(0, col - WIDTH);
      const to = Math.min(text.length, col + WIDTH);
      const lead = from > 0 ? '...' : '';
      text = `${lead}${text.slice(from, to)}${to < text.length ? '...' : ''}`;
      col = col - from + lead.length;
    }
    // Keep tabs so the caret lines up with the line above it.
    const pad = Array.from(text.slice(0, col), (ch) => (ch === '\t' ? '\t' : ' ')).join('');
    return `${head}\n${text}\n${pad}^`;
  }
}

export function fail(code: PxlErrorCode, message: string, at: Pos): never {
  throw new PxlCompileError(code, message, at);
}

/** `what` is a singular phrase: "a for loop", "the builtin 'open'". */
export function unsupported(what: string, at: Pos, hint?: string): never {
  fail('unsupported', `${what} is not supported in PxL${hint ? `; ${hint}` : ''}`, at);
}
