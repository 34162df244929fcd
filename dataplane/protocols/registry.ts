// The protocols the socket tracer knows, in detection priority order.
import { PROTOCOLS, type ProtocolName } from '../../crds/contract/values.js';
import { http1Protocol } from './http1-protocol.js';
import type { DetectContext, MessageKind, ProtocolParser, TableRecord, TableRow } from './types.js';

export type RegistryDetection =
  | { readonly verdict: 'match'; readonly parser: ProtocolParser; readonly kind: MessageKind }
  | { readonly verdict: 'need-more' }
  | { readonly verdict: 'no-match' };

export class ProtocolRegistryError extends Error {
  override readonly name = 'ProtocolRegistryError';

  constructor(
    readonly code: 'DUPLICATE_PROTOCOL' | 'DUPLICATE_TABLE',
    message: string,
    readonly hint: string,
  ) {
    super(`${message}; ${hint}`);
  }
}

export class ProtocolRegistry {
  private readonly registered: ProtocolParser[] = [];

  /** Earlier registrations win when two parsers claim the same bytes. */
  register(parser: ProtocolParser): this {
    if (this.registered.some((other) => other.name === parser.name)) {
      throw new ProtocolRegistryError(
        'DUPLICATE_PROTOCOL',
        `protocol "${parser.name}" is already registered`,
        'register each parser once',
      );
    }
    const sameTable = this.registered.find((other) => other.table === parser.table);
    if (sameTable) {
      throw new ProtocolRegistryError(
        'DUPLICATE_TABLE',
        `protocol "${parser.name}" writes table "${parser.table}", which "${sameTable.name}" already writes`,
        'give each protocol its own table',
      );
    }
    this.registered.push(parser);
    return this;
  }

  get parsers(): readonly ProtocolParser[] {
    return this.registered;
  }

  /** A match from the first parser that matches; need-more if any parser cannot tell yet. */
  detect(prefix: Buffer, context: DetectContext): RegistryDetection {
    let needMore = false;
    for (const parser of this.registered) {
      const detection = parser.detect(prefix, context);
      if (detection.verdict === 'match') return { verdict: 'match', parser, kind: detection.kind };
      if (detection.verdict === 'need-more') needMore = true;
    }
    return needMore ? { verdict: 'need-more' } : { verdict: 'no-match' };
  }
}

/** The built parsers, by the names the role contract lists (crds/contract/values.ts PROTOCOLS). */
const BUILT: Readonly<Partial<Record<ProtocolName, ProtocolParser>>> = { http: http1Protocol };

/** A registry of the named protocols that have a parser, in PROTOCOLS order. */
export function protocolRegistry(names: readonly ProtocolName[]): ProtocolRegistry {
  const registry = new ProtocolRegistry();
  for (const name of PROTOCOLS) {
    const parser = BUILT[name];
    if (parser && names.includes(name)) registry.register(parser);
  }
  return registry;
}

/** The named protocols without a parser yet: a role logs them once and goes on without them. */
export function unbuiltProtocols(names: readonly ProtocolName[]): ProtocolName[] {
  return names.filter((name) => BUILT[name] === undefined);
}

/** Every built parser. */
export function defaultProtocolRegistry(): ProtocolRegistry {
  return protocolRegistry(PROTOCOLS);
}

/** The rows of one protocol's table. Table names are unique per registry, so the narrowing holds. */
export function rowsOf<Row extends TableRow>(records: readonly TableRecord[], parser: ProtocolParser<Row>): Row[] {
  return records.filter((record) => record.table === parser.table).map((record) => record.row as Row);
}
