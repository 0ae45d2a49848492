import { constants, promises as fsp } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { FileHandle, FsPort, OpenMode } from './fs-port.js';

/**
 * The file-system port on node:fs promises. Every method maps to one or two syscalls; `mkdir`
 * and `truncate` also sync what they changed, as the port promises.
 */
export class NodeFs implements FsPort {
  async mkdir(path: string): Promise<void> {
    const target = resolve(path);
    const created = await fsp.mkdir(target, { recursive: true });
    if (created === undefined) return;
    // Sync every directory from the parent of the first one created up to `path`'s parent, so
    // each new entry is durable in its parent.
    let dir = target;
    const parents: string[] = [];
    while (dir !== created && dir !== dirname(dir)) {
      dir = dirname(dir);
      parents.push(dir);
    }
    parents.push(dirname(created));
    for (const parent of parents) await this.syncDir(parent);
  }

  async readdir(path: string): Promise<string[]> {
    const names = await fsp.readdir(path);
    return names.sort(compareCodeUnits);
  }

  async readFile(path: string): Promise<Uint8Array> {
    const buf = await fsp.readFile(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    const flags = mode === 'append' ? constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND : constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_APPEND;
    const handle = await fsp.open(path, flags, 0o644);
    return new NodeFileHandle(path, handle);
  }

  async rename(from: string, to: string): Promise<void> {
    await fsp.rename(from, to);
  }

  async unlink(path: string): Promise<void> {
    await fsp.unlink(path);
  }

  async truncate(path: string, length: number): Promise<void> {
    const handle = await fsp.open(path, 'r+');
    try {
      const { size } = await handle.stat();
      if (length < size) await handle.truncate(length);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async syncDir(path: string): Promise<void> {
    const handle = await fsp.open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

class NodeFileHandle implements FileHandle {
  constructor(
    readonly path: string,
    private readonly handle: fsp.FileHandle,
  ) {}

  async append(data: Uint8Array): Promise<void> {
    let offset = 0;
    // write(2) on a regular file writes everything in practice, but the API allows short writes.
    while (offset < data.length) {
      const { bytesWritten } = await this.handle.write(data, offset, data.length - offset);
      offset += bytesWritten;
    }
  }

  async sync(): Promise<void> {
    await this.handle.datasync();
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
