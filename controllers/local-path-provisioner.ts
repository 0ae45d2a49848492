import { mkdir, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { isPlainObject, type KubeObject } from '../kube/object.js';
import { accessModesOf, type PersistentVolume, type PersistentVolumeClaim } from './volume-matching.js';

/**
 * picokube's dynamic provisioner (kind's and k3s's rancher.io/local-path, in-process): a volume
 * for a claim of a StorageClass whose provisioner is `picokube.io/local-path` is a directory
 * `<baseDir>/pvc-<claim uid>` on this machine, served as a hostPath PersistentVolume named
 * `pvc-<claim uid>` and pre-bound to the claim (spec.claimRef), so the binder binds the two.
 * Every node agent of a local cluster shares the machine's file system, so no node affinity.
 *
 * Contract: `provision` makes the directory (idempotent) and returns the PV to create; `delete`
 * removes the directory of a PV this provisioner made, and never anything outside `baseDir`.
 */

export const LOCAL_PATH_PROVISIONER = 'picokube.io/local-path';
/** Which provisioner made a PV (kube's AnnDynamicallyProvisioned). */
export const PROVISIONED_BY_ANNOTATION = 'pv.kubernetes.io/provisioned-by';
/** The default StorageClass every picokube cluster has (kind's name for it). */
export const DEFAULT_STORAGE_CLASS = 'standard';
/** `--local-path-dir`'s default, under the controller-manager's working directory. */
export const LOCAL_PATH_DIR_DEFAULT = '.picokube/volumes';

export type StorageClass = KubeObject;

export interface LocalPathProvisionerOptions {
  /** Where volume directories live; made absolute against the working directory. */
  readonly baseDir: string;
}

export class LocalPathProvisioner {
  readonly name = LOCAL_PATH_PROVISIONER;
  readonly baseDir: string;

  constructor(options: LocalPathProvisionerOptions) {
    this.baseDir = resolve(options.baseDir);
  }

  /** Whether this provisioner serves the class. */
  handles(storageClass: StorageClass): boolean {
    return storageClass.provisioner === LOCAL_PATH_PROVISIONER;
  }

  /** The PV's name for a claim: kube's `pvc-<claim uid>`. */
  volumeName(claim: PersistentVolumeClaim): string {
    return `pvc-${claim.metadata.uid ?? ''}`;
  }

  /** The directory of a claim's volume. */
  pathFor(claim: PersistentVolumeClaim): string {
    return join(this.baseDir, this.volumeName(claim));
  }

  /** The PersistentVolume for a claim of `storageClass` (pure: makes no directory). */
  volumeFor(claim: PersistentVolumeClaim, storageClass: StorageClass): PersistentVolume {
    const spec = isPlainObject(claim.spec) ? claim.spec : {};
    const requests = isPlainObject(spec.resources) && isPlainObject(spec.resources.requests) ? spec.resources.requests : {};
    const reclaim = typeof storageClass.reclaimPolicy === 'string' && storageClass.reclaimPolicy !== '' ? storageClass.reclaimPolicy : 'Delete';
    const pvSpec: Record<string, unknown> = {
      capacity: { storage: requests.storage ?? '0' },
      accessModes: accessModesOf(claim),
      persistentVolumeReclaimPolicy: reclaim,
      storageClassName: storageClass.metadata.name ?? '',
      volumeMode: typeof spec.volumeMode === 'string' ? spec.volumeMode : 'Filesystem',
      hostPath: { path: this.pathFor(claim), type: 'DirectoryOrCreate' },
      claimRef: {
        kind: 'PersistentVolumeClaim',
        apiVersion: 'v1',
        namespace: claim.metadata.namespace ?? '',
        name: claim.metadata.name ?? '',
        uid: claim.metadata.uid ?? '',
        resourceVersion: claim.metadata.resourceVersion ?? '',
      },
    };
    if (Array.isArray(storageClass.mountOptions)) pvSpec.mountOptions = structuredClone(storageClass.mountOptions);
    return {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: this.volumeName(claim), annotations: { [PROVISIONED_BY_ANNOTATION]: LOCAL_PATH_PROVISIONER } },
      spec: pvSpec,
    };
  }

  /** Makes the claim's directory (fine if it exists) and returns the PV to create. */
  async provision(claim: PersistentVolumeClaim, storageClass: StorageClass): Promise<PersistentVolume> {
    if (!claim.metadata.uid) throw new Error('cannot provision a volume for a claim without a uid');
    const pv = this.volumeFor(claim, storageClass);
    await mkdir(this.pathFor(claim), { recursive: true });
    return pv;
  }

  /** Whether this provisioner made the PV. */
  owns(pv: PersistentVolume): boolean {
    return pv.metadata.annotations?.[PROVISIONED_BY_ANNOTATION] === LOCAL_PATH_PROVISIONER;
  }

  /**
   * The directory of a PV this provisioner made, or undefined when the PV is not ours or its
   * path is not a `pvc-*` directory directly under `baseDir` (never delete what we did not make).
   */
  directoryOf(pv: PersistentVolume): string | undefined {
    if (!this.owns(pv)) return undefined;
    const spec = isPlainObject(pv.spec) ? pv.spec : {};
    const source = isPlainObject(spec.hostPath) ? spec.hostPath : isPlainObject(spec.local) ? spec.local : {};
    if (typeof source.path !== 'string') return undefined;
    const path = resolve(source.path);
    if (dirname(path) !== this.baseDir || !basename(path).startsWith('pvc-')) return undefined;
    return path;
  }

  /** Removes the PV's directory and everything in it (nothing if it is not ours or already gone). Returns whether it was ours. */
  async delete(pv: PersistentVolume): Promise<boolean> {
    const dir = this.directoryOf(pv);
    if (dir === undefined) return false;
    await rm(dir, { recursive: true, force: true });
    return true;
  }
}
