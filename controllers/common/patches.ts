// User patches (spec.patches) applied to rendered objects, last, so users can set what the
// spec does not model. merge = RFC 7386 JSON merge patch; json = RFC 6902 operations.
import fastJsonPatch from 'fast-json-patch';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Patch } from '../../crds/schema.js';

export class PatchError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return structuredClone(patch);
  const base: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete base[k];
    else base[k] = mergePatch(base[k], v);
  }
  return base;
}

/** The RFC 7386 merge patch that turns `prev` into `next` (removed keys become null, at any depth). */
export function diffMergePatch(prev: unknown, next: unknown): unknown {
  const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
  if (!isObj(prev) || !isObj(next)) return next;
  const patch: Record<string, unknown> = {};
  for (const k of Object.keys(prev)) if (!(k in next)) patch[k] = null;
  for (const [k, v] of Object.entries(next)) {
    if (JSON.stringify(prev[k]) === JSON.stringify(v)) continue;
    patch[k] = diffMergePatch(prev[k], v);
  }
  return patch;
}

function matches(p: Patch, obj: KubernetesObject): boolean {
  if (p.target.kind !== obj.kind) return false;
  return !p.target.component || obj.metadata?.labels?.['app.kubernetes.io/component'] === p.target.component;
}

/** Applies every patch to the objects it targets. Throws PatchError naming the patch. */
export function applyPatches<T extends KubernetesObject>(objects: T[], patches: Patch[], fieldPrefix = 'spec.patches'): T[] {
  return objects.map((obj) => {
    let out: T = obj;
    patches.forEach((p, i) => {
      if (!matches(p, out)) return;
      const field = `${fieldPrefix}[${i}]`;
      if (p.type === 'merge') {
        if (!p.merge) throw new PatchError(field, 'type is merge but `merge` is empty; give the JSON merge patch in `merge`');
        out = mergePatch(out, p.merge) as T;
      } else {
        if (!p.operations?.length) throw new PatchError(field, 'type is json but `operations` is empty; give RFC 6902 operations in `operations`');
        try {
          out = fastJsonPatch.applyPatch(structuredClone(out), p.operations as fastJsonPatch.Operation[], true, false).newDocument;
        } catch (err) {
          throw new PatchError(field, `cannot apply to ${obj.kind} ${obj.metadata?.name}: ${(err as Error).message.split('\n')[0]}`);
        }
      }
      if (out.kind !== obj.kind || out.metadata?.name !== obj.metadata?.name || out.metadata?.namespace !== obj.metadata?.namespace) {
        throw new PatchError(field, 'a patch may not change kind, metadata.name or metadata.namespace');
      }
    });
    return out;
  });
}
