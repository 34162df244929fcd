// Container image references as registries and OLM's validators read them
// (`[registry[:port]/]path[:tag][@digest]`, the grammar of the distribution project's
// reference package): each problem is named, so a bad relatedImage or bundle image says
// what to fix.

export interface ImageRef {
  /** Registry host (and port), or undefined for Docker Hub's implicit one. */
  readonly registry?: string;
  /** Repository path below the registry: "loupe-dev/loupe". */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const NAME_MAX = 255;

/** The parts of `ref`, or a message saying what is wrong with it. */
export function parseImageRef(ref: string): ImageRef | string {
  if (ref === '') return 'the image reference is empty';
  if (ref !== ref.trim() || /\s/.test(ref)) return `"${ref}" contains white space`;
  const at = ref.indexOf('@');
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const rest = at >= 0 ? ref.slice(0, at) : ref;
  if (digest !== undefined && !DIGEST.test(digest)) return `"${ref}": digest "${digest}" is not ALGORITHM:HEX (sha256:<64 hex digits>)`;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  const tag = colon > slash ? rest.slice(colon + 1) : undefined;
  const name = colon > slash ? rest.slice(0, colon) : rest;
  if (tag !== undefined && !TAG.test(tag)) return `"${ref}": tag "${tag}" is not 1 to 128 letters, digits, "_", "." or "-" (not starting with "." or "-")`;
  if (name.length > NAME_MAX) return `"${ref}": the repository name is longer than ${NAME_MAX} characters`;
  const parts = name.split('/');
  const first = parts[0]!;
  const hasRegistry = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry && !DOMAIN.test(first)) return `"${ref}": registry "${first}" is not a host name with an optional port`;
  const path = hasRegistry ? parts.slice(1) : parts;
  const bad = path.find((p) => !PATH_COMPONENT.test(p));
  if (bad !== undefined) return `"${ref}": path component "${bad}" must be lower-case letters and digits, separated by ".", "_", "__" or "-"`;
  if (!hasRegistry && /^[a-f0-9]{64}$/.test(name)) return `"${ref}" looks like an image ID, not a repository name`;
  return { ...(hasRegistry ? { registry: first } : {}), repository: path.join('/'), ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}
