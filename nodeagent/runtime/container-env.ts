import { isPlainObject } from '../../kube/object.js';
import type { ContainerSpec, PodInfo } from './container-launcher.js';

/**
 * A container's environment and command line, as the kubelet builds them
 * (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables, third_party expansion): `env` in order,
 * each value able to use `$(NAME)` of the ones before it (`$$(NAME)` is a literal `$(NAME)`, an
 * unknown name stays as written); `command` and `args` expanded the same way. `valueFrom` supports
 * the downward API's simple `fieldRef`s; configMap/secret/resource references need reads the
 * process runtime does not make, so they are skipped and reported back. Pure.
 */

export interface ContainerEnv {
  readonly env: Record<string, string>;
  /** Variables left out, with why (the caller logs them). */
  readonly skipped: readonly string[];
}

const FIELD_REFS: Readonly<Record<string, (p: PodInfo) => string>> = {
  'metadata.name': (p) => p.name,
  'metadata.namespace': (p) => p.namespace,
  'metadata.uid': (p) => p.uid,
  'spec.nodeName': (p) => p.nodeName,
  'spec.serviceAccountName': (p) => p.serviceAccountName,
  'status.podIP': (p) => p.podIP,
  'status.podIPs': (p) => p.podIP,
  'status.hostIP': (p) => p.hostIP,
  'status.hostIPs': (p) => p.hostIP,
};

/** `$(NAME)` → its value; `$$` → `$`; anything else as written. */
export function expandVars(text: string, vars: Readonly<Record<string, string>>): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch !== '$' || i + 1 >= text.length) {
      out += ch;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '(') {
      const close = text.indexOf(')', i + 2);
      if (close < 0) {
        out += text.slice(i);
        break;
      }
      const name = text.slice(i + 2, close);
      const value = Object.hasOwn(vars, name) ? vars[name] : undefined;
      out += value ?? text.slice(i, close + 1);
      i = close + 1;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

function fromFieldRef(valueFrom: unknown, pod: PodInfo): string | undefined {
  if (!isPlainObject(valueFrom) || !isPlainObject(valueFrom.fieldRef)) return undefined;
  const path = valueFrom.fieldRef.fieldPath;
  if (typeof path !== 'string') return undefined;
  const direct = FIELD_REFS[path];
  if (direct) return direct(pod);
  const m = /^metadata\.annotations\['(.+)'\]$/.exec(path);
  return m?.[1] !== undefined ? (pod.annotations[m[1]] ?? '') : undefined;
}

/** The environment of a container: `base` (PATH, HOSTNAME…), then the container's `env`. */
export function containerEnv(container: ContainerSpec, pod: PodInfo, base: Readonly<Record<string, string>>): ContainerEnv {
  const env: Record<string, string> = { ...base };
  const skipped: string[] = [];
  for (const v of container.env ?? []) {
    if (v.value !== undefined) {
      env[v.name] = expandVars(v.value, env);
    } else if (v.valueFrom !== undefined) {
      const value = fromFieldRef(v.valueFrom, pod);
      if (value === undefined) skipped.push(`${v.name}: valueFrom ${describe(v.valueFrom)} is not supported by the process runtime`);
      else env[v.name] = value;
    } else {
      env[v.name] = '';
    }
  }
  return { env, skipped };
}

function describe(valueFrom: unknown): string {
  return isPlainObject(valueFrom) ? Object.keys(valueFrom).join(',') || '{}' : typeof valueFrom;
}

/**
 * The argv to run: `command` + `args`; with only `args`, the args (the image's entrypoint would
 * take them, and with no image there is none: this makes `args: [sh, -c, …]` on busybox work);
 * with neither, nothing (the container idles, as if the image's default command ran forever).
 */
export function commandLine(container: ContainerSpec, env: Readonly<Record<string, string>>): string[] {
  const argv = [...(container.command ?? []), ...(container.args ?? [])];
  return argv.map((a) => expandVars(a, env));
}
