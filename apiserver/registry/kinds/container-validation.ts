import { isPlainObject } from '../../../kube/object.js';
import { duplicate, formatBadValue, invalid, notSupported, required } from '../../../kube/validation/field-errors.js';
import { isDns1123Label } from '../../../kube/validation/identifiers.js';
import type { FieldCause } from '../types.js';
import { isEnvVarName, isValidPortName, isValidPortNum } from './formats.js';
import { type JsonRecord, rec, records, str } from './json.js';
import { parseQuantityNanos, QUANTITY_FORMAT_ERROR, quantityText } from '../../../kube/quantity/quantity.js';

/**
 * Validation of one container of a pod spec (kube's validateContainerCommon and friends), with
 * upstream's field paths and messages: what `kubectl apply` of a broken manifest prints.
 */

export const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
export const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];

/** Why a quantity is unusable, or [] (a negative amount, or not a quantity at all). */
export function quantityErrors(v: unknown): string[] {
  const nanos = parseQuantityNanos(v);
  if (nanos === undefined) return [QUANTITY_FORMAT_ERROR];
  return nanos < 0n ? ['must be greater than or equal to 0'] : [];
}

export function validateContainerPorts(ports: unknown, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const names = new Set<string>();
  for (const [port, i] of records(ports)) {
    const p = `${path}[${i}]`;
    const name = str(port.name);
    if (name !== '') {
      const msgs = isValidPortName(name);
      for (const msg of msgs) causes.push(invalid(`${p}.name`, name, msg));
      if (msgs.length === 0 && names.has(name)) causes.push(duplicate(`${p}.name`, name));
      names.add(name);
    }
    if (port.containerPort === undefined || port.containerPort === 0) causes.push(required(`${p}.containerPort`));
    else for (const msg of isValidPortNum(port.containerPort as number)) causes.push(invalid(`${p}.containerPort`, port.containerPort, msg));
    if (port.hostPort !== undefined && port.hostPort !== 0) {
      for (const msg of isValidPortNum(port.hostPort as number)) causes.push(invalid(`${p}.hostPort`, port.hostPort, msg));
    }
    const protocol = str(port.protocol);
    if (protocol === '') causes.push(required(`${p}.protocol`));
    else if (!PROTOCOLS.includes(protocol)) causes.push(notSupported(`${p}.protocol`, protocol, PROTOCOLS));
  }
  return causes;
}

function validateEnv(env: unknown, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const [e, i] of records(env)) {
    const name = str(e.name);
    if (name === '') causes.push(required(`${path}[${i}].name`));
    else for (const msg of isEnvVarName(name)) causes.push(invalid(`${path}[${i}].name`, name, msg));
  }
  return causes;
}

function validateVolumeMounts(mounts: unknown, volumeNames: ReadonlySet<string>, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const mountPaths = new Set<string>();
  for (const [m, i] of records(mounts)) {
    const p = `${path}[${i}]`;
    const name = str(m.name);
    if (name === '') causes.push(required(`${p}.name`));
    else if (!volumeNames.has(name)) {
      // Upstream's reason is FieldValueNotFound, which the cause catalogue lacks; the printed line matches.
      causes.push({ reason: 'FieldValueInvalid', field: `${p}.name`, message: `Not found: ${formatBadValue(name)}` });
    }
    const mountPath = str(m.mountPath);
    if (mountPath === '') causes.push(required(`${p}.mountPath`));
    else if (mountPaths.has(mountPath)) causes.push(invalid(`${p}.mountPath`, mountPath, 'must be unique'));
    mountPaths.add(mountPath);
  }
  return causes;
}

function validateResources(resources: unknown, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const limits = rec(rec(resources).limits);
  const requests = rec(rec(resources).requests);
  for (const [kind, map] of [
    ['limits', limits],
    ['requests', requests],
  ] as const) {
    for (const [name, q] of Object.entries(map)) {
      for (const msg of quantityErrors(q)) causes.push(invalid(`${path}.${kind}[${name}]`, quantityText(q), msg));
    }
  }
  for (const [name, q] of Object.entries(requests)) {
    const request = parseQuantityNanos(q);
    const limit = parseQuantityNanos(limits[name]);
    if (request !== undefined && limit !== undefined && request > limit) {
      causes.push(invalid(`${path}.requests[${name}]`, quantityText(q), `must be less than or equal to ${name} limit of ${quantityText(limits[name])}`));
    }
  }
  return causes;
}

export interface ContainerContext {
  /** The pod's volume names: mounts must name one. */
  readonly volumeNames: ReadonlySet<string>;
  /** A Pod's own container (not a template's): its image may not carry surrounding spaces. */
  readonly isPod: boolean;
}

/** One container at `path` (`spec.containers[0]`). Its name is checked by the caller, for uniqueness across lists. */
export function validateContainer(c: JsonRecord, path: string, ctx: ContainerContext): FieldCause[] {
  const causes: FieldCause[] = [];
  const image = str(c.image);
  if (image === '') causes.push(required(`${path}.image`));
  else if (ctx.isPod && image.trim() !== image) causes.push(invalid(`${path}.image`, image, 'must not have leading or trailing whitespace'));
  const pull = str(c.imagePullPolicy);
  if (pull === '') causes.push(required(`${path}.imagePullPolicy`));
  else if (!PULL_POLICIES.includes(pull)) causes.push(notSupported(`${path}.imagePullPolicy`, pull, PULL_POLICIES));
  const tmp = str(c.terminationMessagePolicy);
  if (tmp === '') causes.push(required(`${path}.terminationMessagePolicy`));
  else if (!TERMINATION_MESSAGE_POLICIES.includes(tmp)) causes.push(notSupported(`${path}.terminationMessagePolicy`, tmp, TERMINATION_MESSAGE_POLICIES));
  causes.push(...validateContainerPorts(c.ports, `${path}.ports`));
  causes.push(...validateEnv(c.env, `${path}.env`));
  causes.push(...validateVolumeMounts(c.volumeMounts, ctx.volumeNames, `${path}.volumeMounts`));
  causes.push(...validateResources(c.resources, `${path}.resources`));
  return causes;
}

/**
 * Containers and init containers: at least one container, names DNS-1123 labels unique across
 * both lists (an init container that reuses a container's name is the duplicate, as upstream reports it), then each container.
 */
export function validateAllContainers(spec: JsonRecord, path: string, ctx: ContainerContext): FieldCause[] {
  const causes: FieldCause[] = [];
  const names = new Set<string>();
  for (const list of ['containers', 'initContainers']) {
    const items = spec[list];
    if (list === 'containers' && (!Array.isArray(items) || items.length === 0)) {
      causes.push(required(`${path}.containers`));
      continue;
    }
    if (items !== undefined && !Array.isArray(items)) continue;
    (items ?? []).forEach((c: unknown, i: number) => {
      const p = `${path}.${list}[${i}]`;
      if (!isPlainObject(c)) {
        causes.push(invalid(p, c, 'must be an object'));
        return;
      }
      const name = str(c.name);
      if (name === '') causes.push(required(`${p}.name`));
      else {
        const msgs = isDns1123Label(name);
        for (const msg of msgs) causes.push(invalid(`${p}.name`, name, msg));
        if (msgs.length === 0 && names.has(name)) causes.push(duplicate(`${p}.name`, name));
        names.add(name);
      }
      causes.push(...validateContainer(c, p, ctx));
    });
  }
  return causes;
}
