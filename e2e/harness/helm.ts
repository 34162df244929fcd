// The helm CLI that e2e/helm/build-helm.sh builds from its Go module into the cache.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../crds/generate.js';

export const HELM_VERSION = process.env['LOUPE_HELM_VERSION'] || readFileSync(join(repoRoot(), 'e2e', 'helm', 'VERSION'), 'utf8').trim();

/** Path of the helm binary; throws, saying how to build it, when it is not there. */
export function helmBinary(): string {
  const path = join(process.env['LOUPE_CACHE_DIR'] || join(homedir(), '.cache', 'loupe'), `helm-${HELM_VERSION}`, 'helm');
  if (!existsSync(path)) throw new Error(`helm ${HELM_VERSION} not found at ${path}: run \`make helm\` (e2e/helm/build-helm.sh builds it from its Go module, about 2.5 min once)`);
  return path;
}
