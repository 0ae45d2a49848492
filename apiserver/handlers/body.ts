import { parse as parseYaml } from 'yaml';
import { ApiError, badRequest, patchTypeNotSupported, unsupportedMediaType } from '../status.js';

/**
 * Request bodies arrive as raw bytes (every content type is read as a Buffer, so fastify never
 * answers a non-Status error) and are decoded here by media type: JSON, YAML, or the Kubernetes
 * protobuf envelope that `kubectl create namespace` sends.
 */

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
  'application/apply-patch+cbor': 'apply',
};

/** Decodes protobuf bodies; set by the server once the protobuf codec is loaded. */
export type ProtobufDecoder = (body: Buffer) => unknown;

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** An object body (create, update): JSON, YAML or protobuf. Empty is an error. */
export function decodeObjectBody(contentType: string | undefined, body: unknown, protobuf: ProtobufDecoder | undefined): unknown {
  const type = mediaType(contentType);
  const bytes = asBuffer(body);
  if (bytes.length === 0) throw badRequest('the request body is empty; an object was expected');
  if (type === 'application/json' || type === '') return parseJson(bytes);
  if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') return parseYamlBody(bytes);
  if (type === 'application/vnd.kubernetes.protobuf') {
    if (!protobuf) throw unsupportedMediaType(type);
    try {
      return protobuf(bytes);
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw badRequest(`the protobuf body could not be decoded: ${(err as Error).message}`);
    }
  }
  throw unsupportedMediaType(type);
}

/** A DELETE body (DeleteOptions), which clients may leave empty even with a JSON content type. */
export function decodeOptionalBody(contentType: string | undefined, body: unknown, protobuf: ProtobufDecoder | undefined): unknown {
  const bytes = asBuffer(body);
  if (bytes.toString('utf8').trim() === '') return undefined;
  return decodeObjectBody(contentType, bytes, protobuf);
}

export function patchTypeOf(contentType: string | undefined): PatchType {
  const type = mediaType(contentType);
  const patchType = PATCH_TYPES[type];
  if (!patchType) throw patchTypeNotSupported(type);
  return patchType;
}

export function decodePatchBody(patchType: PatchType, body: unknown): unknown {
  const bytes = asBuffer(body);
  if (bytes.length === 0) throw badRequest('the patch body is empty');
  // apply-patch+yaml is YAML, which includes JSON; the others are JSON.
  return patchType === 'apply' ? parseYamlBody(bytes) : parseJson(bytes);
}

function asBuffer(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body);
  return Buffer.from(JSON.stringify(body));
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw badRequest(`the request body is not valid JSON: ${(err as Error).message}`);
  }
}

function parseYamlBody(bytes: Buffer): unknown {
  try {
    return parseYaml(bytes.toString('utf8'), { maxAliasCount: 100 });
  } catch (err) {
    throw badRequest(`the request body is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
}
