// The version of the query protocol: the plans, stream frames and row batches that cross between
// broker, Kelvin, PEMs and clients, and the agents' NATS announcements. A build of version N
// reads and writes versions N-1 and N, so a rolling upgrade, which runs N-1 and N side by side,
// keeps answering queries; an agent two versions apart is refused.
//
// Bump PROTOCOL_VERSION when any of those messages changes in a way the previous build would
// misread, and keep reading and writing the previous version for one release.

export const PROTOCOL_VERSION = 1;
/** The first versioned protocol: there is no version before it to speak. */
export const FIRST_PROTOCOL_VERSION = 1;

/** What one build speaks; a parameter everywhere, so a test can run two builds in one process. */
export interface Protocol {
  readonly version: number;
}

export const THIS_BUILD: Protocol = { version: PROTOCOL_VERSION };

/** True when `protocol` reads and writes messages of `version`. */
export function speaks(protocol: Protocol, version: unknown): version is number {
  return version === protocol.version || (version === protocol.version - 1 && version >= FIRST_PROTOCOL_VERSION);
}

/** "protocol versions 1 and 2", for messages. */
export function supportedVersions(protocol: Protocol): string {
  const previous = protocol.version - 1;
  return previous < FIRST_PROTOCOL_VERSION ? `protocol version ${protocol.version}` : `protocol versions ${previous} and ${protocol.version}`;
}

export function describeVersion(version: unknown): string {
  if (version === undefined) return 'no protocol version';
  // What a peer sent may be anything JSON with tagged bigints decodes to: a bigint, or one inside.
  const shown = typeof version === 'number' ? String(version) : JSON.stringify(version, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  return `protocol version ${shown}`;
}

/** A peer or a message of a protocol version this build cannot take. */
export class ProtocolVersionError extends Error {
  override readonly name = 'ProtocolVersionError';

  constructor(
    /** Who or what: "PEM pem-3 at 10.0.0.7:12345", "row batch", "loupe run". */
    readonly peer: string,
    readonly version: unknown,
    readonly protocol: Protocol,
    /** Who refused it ("this query broker"), and what to do, if anything particular. */
    refusedBy: string,
    hint = '',
  ) {
    super(`${peer} speaks ${describeVersion(version)}; ${refusedBy} supports ${supportedVersions(protocol)}${hint ? `: ${hint}` : ''}`);
  }
}

export interface Participant {
  /** For the message when it cannot take part, e.g. "loupe run" or "PEM pem-3 at 10.0.0.7:12345". */
  readonly name: string;
  readonly version: number;
}

/**
 * The version a query runs at: the oldest participant's, which every participant must speak
 * (participants of versions N-1 and N agree on N-1). Throws naming the first one that cannot.
 */
export function negotiate(protocol: Protocol, participants: readonly Participant[], refusedBy: string): number {
  let version = protocol.version;
  for (const p of participants) version = Math.min(version, p.version);
  if (!speaks(protocol, version)) {
    const oldest = participants.find((p) => p.version === version)!;
    throw new ProtocolVersionError(oldest.name, oldest.version, protocol, refusedBy);
  }
  for (const p of participants) {
    if (!speaks({ version: p.version }, version)) {
      throw new ProtocolVersionError(p.name, p.version, protocol, refusedBy, `it cannot take part in a query at protocol version ${version}, which the oldest participant needs`);
    }
  }
  return version;
}
