import { posix } from 'node:path';
import type { FileHandle, FsPort, OpenMode } from './fs-port.js';
import { fsError } from './fs-port.js';

/**
 * The in-memory twin of the file-system port, modelling durability so tests and the simulator
 * can crash a replica at any point and see what a real disk would have kept:
 *
 * - Each file has a durable content (what survives a crash) and a current content (what reads
 *   see). `FileHandle.sync()` makes current durable. While only appends happened since the last
 *   sync, the durable content is a prefix of the current one and a crash keeps that prefix plus
 *   however many of the unsynced bytes `crash({ tornBytes })` chooses (a torn write). A file
 *   emptied by `open(…, 'truncate')` and not synced since reverts whole to its durable content.
 * - Each directory has durable entries and current entries. `syncDir` makes current durable; a
 *   crash puts every directory back to its durable entries (files created and not synced into
 *   the directory vanish, unsynced renames and unlinks are undone). `mkdir` and `truncate` are
 *   durable at once, as the port promises.
 * - `crash()` returns a new MemFs on the same disk: the machine after reboot. The old instance,
 *   and every handle opened through it, is dead (EIO), as the crashed process is: work it had in
 *   flight cannot reach the disk after the crash.
 *
 * Deterministic: no clock, no randomness of its own; the torn length is chosen by the caller.
 * Counters in `stats` (shared by every incarnation of one disk) let tests assert how many fsyncs
 * a workload costs without timing it.
 */
export class MemFs implements FsPort {
  /** The disk, shared by every incarnation (see `crash`). */
  private disk: Disk = { root: newDir(), stats: { fileSyncs: 0, dirSyncs: 0, bytesAppended: 0, crashes: 0 }, faults: [] };
  private alive = true;

  get stats(): MemFsStats {
    return this.disk.stats;
  }

  private get root(): DirNode {
    return this.disk.root;
  }

  private get faults(): Fault[] {
    return this.disk.faults;
  }

  /**
   * Makes the next `count` calls of `op` fail with `code` (EIO by default) without doing
   * anything, to exercise the callers' error paths (a failed fsync must make the WAL unusable).
   */
  failNext(op: FaultOp, count = 1, code = 'EIO'): void {
    for (let i = 0; i < count; i++) this.faults.push({ op, code });
  }

  /**
   * Simulates power loss: everything not durable is lost, except that for each file with
   * unsynced appended bytes, `tornBytes(path, unsyncedBytes)` of them survive (clamped to
   * 0…unsyncedBytes; default 0). This instance and its handles die; the returned one is the
   * rebooted machine's view of the same disk.
   */
  crash(options: { tornBytes?: (path: string, unsyncedBytes: number) => number } = {}): MemFs {
    this.checkAlive('crash', '/');
    this.alive = false;
    this.stats.crashes++;
    const seen = new Set<FileNode>();
    const revert = (dir: DirNode, path: string): void => {
      dir.entries = new Map(dir.durable);
      for (const [name, node] of dir.entries) {
        const child = posix.join(path, name);
        if (node.kind === 'dir') {
          revert(node, child);
        } else if (!seen.has(node)) {
          seen.add(node);
          revertFile(node, child, options.tornBytes);
        }
      }
    };
    revert(this.root, '/');
    const rebooted = new MemFs();
    rebooted.disk = this.disk;
    return rebooted;
  }

  async mkdir(path: string): Promise<void> {
    this.checkAlive('mkdir', path);
    let dir = this.root;
    for (const name of components(path)) {
      const node = dir.entries.get(name);
      if (node === undefined) {
        const created = newDir();
        // mkdir is durable at once: the entry goes into the durable view too.
        dir.entries.set(name, created);
        dir.durable.set(name, created);
        dir = created;
      } else if (node.kind === 'dir') {
        dir = node;
      } else {
        throw fsError('EEXIST', 'mkdir', path);
      }
    }
  }

  async readdir(path: string): Promise<string[]> {
    this.checkAlive('scandir', path);
    const dir = this.lookupDir(path, 'scandir');
    return [...dir.entries.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  async readFile(path: string): Promise<Uint8Array> {
    this.checkAlive('open', path);
    const file = this.lookupFile(path, 'open');
    return file.buf.slice(0, file.length);
  }

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    this.takeFault('open', path);
    const { dir, name } = this.parentOf(path, 'open');
    let node = dir.entries.get(name);
    if (node?.kind === 'dir') throw fsError('EISDIR', 'open', path);
    if (node === undefined) {
      node = newFile();
      dir.entries.set(name, node);
    } else if (mode === 'truncate') {
      preserveDurable(node);
      node.length = 0;
    }
    return new MemFileHandle(this, path, node);
  }

  async rename(from: string, to: string): Promise<void> {
    this.takeFault('rename', from);
    const src = this.parentOf(from, 'rename');
    const node = src.dir.entries.get(src.name);
    if (node === undefined) throw fsError('ENOENT', 'rename', from);
    const dst = this.parentOf(to, 'rename');
    const existing = dst.dir.entries.get(dst.name);
    if (existing?.kind === 'dir' && existing !== node) throw fsError('EISDIR', 'rename', to);
    src.dir.entries.delete(src.name);
    dst.dir.entries.set(dst.name, node);
  }

  async unlink(path: string): Promise<void> {
    this.takeFault('unlink', path);
    const { dir, name } = this.parentOf(path, 'unlink');
    const node = dir.entries.get(name);
    if (node === undefined) throw fsError('ENOENT', 'unlink', path);
    if (node.kind === 'dir') throw fsError('EISDIR', 'unlink', path);
    dir.entries.delete(name);
  }

  async truncate(path: string, length: number): Promise<void> {
    this.takeFault('truncate', path);
    const file = this.lookupFile(path, 'open');
    file.length = Math.min(file.length, length);
    // Durable at once: the implementation syncs the whole file.
    file.durableLength = file.length;
    file.durableCopy = undefined;
  }

  async syncDir(path: string): Promise<void> {
    this.takeFault('syncDir', path);
    const dir = this.lookupDir(path, 'open');
    dir.durable = new Map(dir.entries);
    this.stats.dirSyncs++;
  }

  /** @internal Every operation, through the fs or a handle, first checks the machine is up. */
  checkAlive(op: string, path: string): void {
    if (!this.alive) throw fsError('EIO', op, `${path} (the machine crashed; use the MemFs returned by crash())`);
  }

  /** @internal used by handles. */
  takeFault(op: FaultOp, path: string): void {
    this.checkAlive(op, path);
    const at = this.faults.findIndex((f) => f.op === op);
    if (at < 0) return;
    const [fault] = this.faults.splice(at, 1);
    throw fsError((fault as Fault).code, op, path);
  }

  private lookup(path: string, syscall: string): Node {
    let node: Node = this.root;
    for (const name of components(path)) {
      if (node.kind !== 'dir') throw fsError('ENOTDIR', syscall, path);
      const next: Node | undefined = node.entries.get(name);
      if (next === undefined) throw fsError('ENOENT', syscall, path);
      node = next;
    }
    return node;
  }

  private lookupDir(path: string, syscall: string): DirNode {
    const node = this.lookup(path, syscall);
    if (node.kind !== 'dir') throw fsError('ENOTDIR', syscall, path);
    return node;
  }

  private lookupFile(path: string, syscall: string): FileNode {
    const node = this.lookup(path, syscall);
    if (node.kind !== 'file') throw fsError('EISDIR', syscall, path);
    return node;
  }

  private parentOf(path: string, syscall: string): { dir: DirNode; name: string } {
    const parts = components(path);
    const name = parts.pop();
    if (name === undefined) throw fsError('EISDIR', syscall, path);
    return { dir: this.lookupDir(`/${parts.join('/')}`, syscall), name };
  }
}

/** The disk behind one or more MemFs incarnations. */
interface Disk {
  readonly root: DirNode;
  readonly stats: MemFsStats;
  readonly faults: Fault[];
}

export interface MemFsStats {
  fileSyncs: number;
  dirSyncs: number;
  bytesAppended: number;
  crashes: number;
}

export type FaultOp = 'open' | 'append' | 'sync' | 'syncDir' | 'rename' | 'unlink' | 'truncate';

interface Fault {
  readonly op: FaultOp;
  readonly code: string;
}

/**
 * A file's bytes. Invariant: when `durableCopy` is undefined, `length >= durableLength` and
 * `buf[0, durableLength)` is the durable content; otherwise `durableCopy` is.
 */
interface FileNode {
  readonly kind: 'file';
  buf: Uint8Array;
  length: number;
  durableLength: number;
  durableCopy: Uint8Array | undefined;
}

interface DirNode {
  readonly kind: 'dir';
  entries: Map<string, Node>;
  durable: Map<string, Node>;
}

type Node = FileNode | DirNode;

function newDir(): DirNode {
  return { kind: 'dir', entries: new Map(), durable: new Map() };
}

function newFile(): FileNode {
  return { kind: 'file', buf: new Uint8Array(256), length: 0, durableLength: 0, durableCopy: undefined };
}

function components(path: string): string[] {
  return posix
    .resolve('/', path)
    .split('/')
    .filter((part) => part.length > 0);
}

/** Before bytes below the durable length are overwritten or cut, keep a copy of the durable content. */
function preserveDurable(file: FileNode): void {
  if (file.durableCopy === undefined) file.durableCopy = file.buf.slice(0, file.durableLength);
}

function revertFile(file: FileNode, path: string, tornBytes?: (path: string, unsyncedBytes: number) => number): void {
  if (file.durableCopy !== undefined) {
    const copy = file.durableCopy;
    file.buf = copy.length > 0 ? copy : new Uint8Array(256);
    file.length = copy.length;
    file.durableLength = copy.length;
    file.durableCopy = undefined;
    return;
  }
  const unsynced = file.length - file.durableLength;
  const kept = unsynced > 0 && tornBytes ? Math.max(0, Math.min(unsynced, Math.floor(tornBytes(path, unsynced)))) : 0;
  file.length = file.durableLength + kept;
  file.durableLength = file.length;
}

class MemFileHandle implements FileHandle {
  private closed = false;

  constructor(
    private readonly fs: MemFs,
    readonly path: string,
    private readonly file: FileNode,
  ) {}

  async append(data: Uint8Array): Promise<void> {
    this.check();
    this.fs.takeFault('append', this.path);
    const file = this.file;
    const needed = file.length + data.length;
    if (needed > file.buf.length) {
      const grown = new Uint8Array(Math.max(needed, file.buf.length * 2));
      grown.set(file.buf.subarray(0, file.length));
      file.buf = grown;
    }
    file.buf.set(data, file.length);
    file.length = needed;
    this.fs.stats.bytesAppended += data.length;
  }

  async sync(): Promise<void> {
    this.check();
    this.fs.takeFault('sync', this.path);
    this.file.durableLength = this.file.length;
    this.file.durableCopy = undefined;
    this.fs.stats.fileSyncs++;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private check(): void {
    this.fs.checkAlive('write', this.path);
    if (this.closed) throw fsError('EBADF', 'write', `${this.path} (handle closed)`);
  }
}
