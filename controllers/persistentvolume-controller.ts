import type { Logger } from 'pino';
import type { Informer } from '../kube/cache/informer-types.js';
import { type ApiClient, isAlreadyExists, isNotFound } from '../kube/client/api-client.js';
import type { EventRecorder } from '../kube/client/event-recorder.js';
import { objectKey, type ResourceRef, Resources } from '../kube/client/resource.js';
import type { Clock } from '../kube/clock.js';
import { isPlainObject, type KubeObject } from '../kube/object.js';
import type { WorkQueue } from '../kube/workqueue/types.js';
import type { Controller, ControllerContext, ControllerFactory } from './controller.js';
import { LOCAL_PATH_DIR_DEFAULT, LocalPathProvisioner, type StorageClass } from './local-path-provisioner.js';
import {
  accessModesOf,
  claimRefOf,
  findMatchingVolume,
  isVolumeBoundToClaim,
  type PersistentVolume,
  type PersistentVolumeClaim,
  storageClassOf,
} from './volume-matching.js';

/**
 * The PersistentVolume binder (kube's pkg/controller/volume/persistentvolume, controller name
 * `persistentvolume-binder`), with picokube's local-path provisioner built in.
 *
 * Claims: an unbound claim binds to the volume volume-matching.ts picks, in kube's order of
 * writes: the PV's spec.claimRef (+ bound-by-controller), the PV's status Bound, the claim's
 * spec.volumeName (+ bind-completed, bound-by-controller), the claim's status Bound with the
 * PV's capacity and access modes. Each step is one write; a crash between steps is finished by
 * the next sync, which sees the half-made binding (level-triggered). A claim with no matching
 * volume whose class's provisioner is ours gets a provisioned volume, pre-bound to it; any other
 * stays Pending with a FailedBinding event. Every class of ours is treated as Immediate binding:
 * WaitForFirstConsumer is not honoured (a local cluster's volumes are reachable from every node).
 *
 * Volumes: one without claimRef is Available; one whose claim is gone (checked with a live read,
 * not just the cache) is Released, then reclaimed by its policy: Delete removes the PV (and the
 * directory, when the local-path provisioner made it), Retain leaves it Released.
 */

/** storage.k8s.io/v1 StorageClass (not in kube/client's Resources yet). */
export const StorageClasses: ResourceRef = { group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses', kind: 'StorageClass', namespaced: false };

export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
/** Which provisioner a claim waits for (kube's AnnStorageProvisioner). */
export const ANN_STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';

const CLAIM = 'claim:';
const VOLUME = 'volume:';

export interface PersistentVolumeControllerOptions {
  /** Where the local-path provisioner puts volume directories (`--local-path-dir`). */
  readonly localPathDir: string;
}

function phaseOf(obj: KubeObject): string {
  const status = isPlainObject(obj.status) ? obj.status : {};
  return typeof status.phase === 'string' ? status.phase : '';
}

function volumeNameOf(claim: PersistentVolumeClaim): string {
  const spec = isPlainObject(claim.spec) ? claim.spec : {};
  return typeof spec.volumeName === 'string' ? spec.volumeName : '';
}

function reclaimPolicyOf(pv: PersistentVolume): string {
  const spec = isPlainObject(pv.spec) ? pv.spec : {};
  return typeof spec.persistentVolumeReclaimPolicy === 'string' ? spec.persistentVolumeReclaimPolicy : 'Retain';
}

export class PersistentVolumeController implements Controller {
  readonly name = 'persistentvolume-binder';
  readonly workers = 2;
  readonly queue: WorkQueue<string>;
  readonly provisioner: LocalPathProvisioner;
  private readonly client: ApiClient;
  private readonly clock: Clock;
  private readonly recorder: EventRecorder;
  private readonly logger: Logger;
  private readonly claims: Informer<PersistentVolumeClaim>;
  private readonly volumes: Informer<PersistentVolume>;
  private readonly classes: Informer<StorageClass>;

  constructor(ctx: ControllerContext, options: PersistentVolumeControllerOptions) {
    this.client = ctx.client;
    this.clock = ctx.clock;
    this.recorder = ctx.recorder;
    this.logger = ctx.logger.child({ controller: this.name });
    this.queue = ctx.newQueue(this.name);
    this.provisioner = new LocalPathProvisioner({ baseDir: options.localPathDir });
    this.claims = ctx.informers.informerFor<PersistentVolumeClaim>(Resources.persistentvolumeclaims);
    this.volumes = ctx.informers.informerFor<PersistentVolume>(Resources.persistentvolumes);
    this.classes = ctx.informers.informerFor<StorageClass>(StorageClasses);

    const onClaim = (claim: PersistentVolumeClaim): void => this.queue.add(CLAIM + objectKey(claim));
    this.claims.addHandlers({
      onAdd: onClaim,
      onUpdate: (_, claim) => onClaim(claim),
      onDelete: (claim) => {
        // The volumes bound to it must be released.
        const named = volumeNameOf(claim);
        if (named !== '') this.queue.add(VOLUME + named);
        for (const pv of this.volumes.lister.list()) if (isVolumeBoundToClaim(pv, claim)) this.queue.add(VOLUME + objectKey(pv));
      },
    });
    const onVolume = (pv: PersistentVolume): void => {
      this.queue.add(VOLUME + objectKey(pv));
      const ref = claimRefOf(pv);
      if (ref) this.queue.add(`${CLAIM}${ref.namespace}/${ref.name}`);
      // A free volume may be what a waiting claim needs (kube relies on a periodic resync instead).
      else this.enqueuePendingClaims();
    };
    this.volumes.addHandlers({ onAdd: onVolume, onUpdate: (_, pv) => onVolume(pv), onDelete: onVolume });
    // A class that appears late may let waiting claims be provisioned.
    this.classes.addHandlers({ onAdd: () => this.enqueuePendingClaims(), onUpdate: () => this.enqueuePendingClaims() });
  }

  private enqueuePendingClaims(): void {
    for (const claim of this.claims.lister.list()) if (volumeNameOf(claim) === '') this.queue.add(CLAIM + objectKey(claim));
  }

  async sync(key: string): Promise<void> {
    if (key.startsWith(CLAIM)) return this.syncClaim(key.slice(CLAIM.length));
    if (key.startsWith(VOLUME)) return this.syncVolume(key.slice(VOLUME.length));
  }

  // ---- claims -------------------------------------------------------------------------------

  private async syncClaim(key: string): Promise<void> {
    const claim = this.claims.lister.get(key);
    if (!claim || claim.metadata.deletionTimestamp) return;
    const volumeName = volumeNameOf(claim);
    if (volumeName === '') return this.syncUnboundClaim(claim);
    const pv = this.volumes.lister.get(volumeName);
    if (!pv) {
      // Bound once, volume gone: Lost (kube). Not bound yet: the admin's pre-binding waits for the volume.
      if (claim.metadata.annotations?.[ANN_BIND_COMPLETED] === 'yes') await this.setClaimPhase(claim, 'Lost');
      else await this.setClaimPhase(claim, 'Pending');
      return;
    }
    const ref = claimRefOf(pv);
    if (ref === undefined || (ref.uid === '' && isVolumeBoundToClaim(pv, claim))) {
      // The claim names a volume that is free: finish the binding from the volume's side.
      await this.bind(pv, claim);
      return;
    }
    if (isVolumeBoundToClaim(pv, claim)) {
      await this.bind(pv, claim);
      return;
    }
    // The volume belongs to another claim.
    await this.setClaimPhase(claim, 'Pending');
  }

  private async syncUnboundClaim(claim: PersistentVolumeClaim): Promise<void> {
    const pv = findMatchingVolume(claim, this.volumes.lister.list());
    if (pv) {
      await this.bind(pv, claim);
      return;
    }
    const className = storageClassOf(claim);
    const storageClass = className === '' ? undefined : this.classes.lister.get(className);
    if (storageClass && this.provisioner.handles(storageClass)) {
      await this.provision(claim, storageClass);
      return;
    }
    await this.setClaimPhase(claim, 'Pending');
    const why =
      className === ''
        ? 'no persistent volumes available for this claim and no storage class is set'
        : storageClass === undefined
          ? `storageclass.storage.k8s.io "${className}" not found`
          : `waiting for a volume to be created by the external provisioner "${String(storageClass.provisioner)}"`;
    this.recorder.event(claim, storageClass === undefined ? 'Warning' : 'Normal', storageClass === undefined ? 'FailedBinding' : 'ExternalProvisioning', why);
  }

  private async provision(claim: PersistentVolumeClaim, storageClass: StorageClass): Promise<void> {
    const name = this.provisioner.volumeName(claim);
    if (this.volumes.lister.get(name)) return; // made already; its add event brings the claim back
    let pv: PersistentVolume;
    try {
      pv = await this.provisioner.provision(claim, storageClass);
    } catch (e) {
      this.recorder.event(
        claim,
        'Warning',
        'ProvisioningFailed',
        `failed to provision volume with StorageClass "${storageClass.metadata.name ?? ''}": ${(e as Error).message}`,
      );
      throw e;
    }
    try {
      await this.client.create(Resources.persistentvolumes, pv);
    } catch (e) {
      if (isAlreadyExists(e)) return; // an earlier sync made it; the cache has not caught up
      throw e;
    }
    this.logger.info({ claim: objectKey(claim), volume: name }, 'provisioned a volume');
    this.recorder.event(claim, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${name}`);
  }

  /**
   * Binds a volume and a claim, each write only if it is still to be done, in kube's order (PV
   * claimRef, PV status, claim spec, claim status). Throws on a conflict: the retry re-reads the caches.
   */
  private async bind(cachedPv: PersistentVolume, cachedClaim: PersistentVolumeClaim): Promise<void> {
    let pv = cachedPv;
    const ref = claimRefOf(pv);
    if (ref === undefined || ref.uid !== (cachedClaim.metadata.uid ?? '')) {
      const next = structuredClone(pv);
      const spec = isPlainObject(next.spec) ? next.spec : {};
      spec.claimRef = {
        kind: 'PersistentVolumeClaim',
        apiVersion: 'v1',
        namespace: cachedClaim.metadata.namespace ?? '',
        name: cachedClaim.metadata.name ?? '',
        uid: cachedClaim.metadata.uid ?? '',
        resourceVersion: cachedClaim.metadata.resourceVersion ?? '',
      };
      next.spec = spec;
      // Bound by us unless an admin pre-bound it (claimRef given without uid).
      if (ref === undefined) next.metadata.annotations = { ...next.metadata.annotations, [ANN_BOUND_BY_CONTROLLER]: 'yes' };
      pv = await this.client.update(Resources.persistentvolumes, next);
    }
    if (phaseOf(pv) !== 'Bound') pv = await this.client.updateStatus(Resources.persistentvolumes, this.withPhase(pv, 'Bound'));

    let claim = cachedClaim;
    const pvName = pv.metadata.name ?? '';
    if (volumeNameOf(claim) !== pvName || claim.metadata.annotations?.[ANN_BIND_COMPLETED] !== 'yes') {
      const next = structuredClone(claim);
      const spec = isPlainObject(next.spec) ? next.spec : {};
      const byController = volumeNameOf(claim) === '';
      spec.volumeName = pvName;
      next.spec = spec;
      next.metadata.annotations = {
        ...next.metadata.annotations,
        [ANN_BIND_COMPLETED]: 'yes',
        ...(byController ? { [ANN_BOUND_BY_CONTROLLER]: 'yes' } : {}),
      };
      claim = await this.client.update(Resources.persistentvolumeclaims, next);
    }
    const pvSpec = isPlainObject(pv.spec) ? pv.spec : {};
    const capacity = isPlainObject(pvSpec.capacity) ? pvSpec.capacity : {};
    const status = isPlainObject(claim.status) ? claim.status : {};
    const wantModes = accessModesOf(pv);
    const haveModes = Array.isArray(status.accessModes) ? status.accessModes : [];
    if (phaseOf(claim) !== 'Bound' || JSON.stringify(status.capacity) !== JSON.stringify(capacity) || JSON.stringify(haveModes) !== JSON.stringify(wantModes)) {
      const next = structuredClone(claim);
      next.status = { ...(isPlainObject(next.status) ? next.status : {}), phase: 'Bound', capacity: structuredClone(capacity), accessModes: wantModes };
      await this.client.updateStatus(Resources.persistentvolumeclaims, next);
      this.logger.info({ claim: objectKey(claim), volume: pvName }, 'bound a claim to a volume');
    }
  }

  private async setClaimPhase(claim: PersistentVolumeClaim, phase: string): Promise<void> {
    if (phaseOf(claim) === phase) return;
    const next = structuredClone(claim);
    next.status = { ...(isPlainObject(next.status) ? next.status : {}), phase };
    await this.client.updateStatus(Resources.persistentvolumeclaims, next);
  }

  // ---- volumes ------------------------------------------------------------------------------

  private async syncVolume(name: string): Promise<void> {
    const pv = this.volumes.lister.get(name);
    if (!pv || pv.metadata.deletionTimestamp) return;
    const ref = claimRefOf(pv);
    if (ref === undefined) {
      if (phaseOf(pv) !== 'Available' && phaseOf(pv) !== 'Failed') await this.setVolumePhase(pv, 'Available');
      return;
    }
    if (ref.uid === '') {
      // Pre-bound by an admin to a claim that may not exist yet: available to that claim only.
      if (phaseOf(pv) !== 'Available') await this.setVolumePhase(pv, 'Available');
      return;
    }
    const claimKey = `${ref.namespace}/${ref.name}`;
    let claim: PersistentVolumeClaim | undefined = this.claims.lister.get(claimKey);
    if (!claim || claim.metadata.uid !== ref.uid) {
      // The cache may be behind (the claim just created): only a live read may say the claim is gone.
      claim = await this.liveClaim(ref.namespace, ref.name);
    }
    if (!claim || claim.metadata.uid !== ref.uid) {
      await this.reclaim(pv);
      return;
    }
    const claimVolume = volumeNameOf(claim);
    if (claimVolume === '') {
      this.queue.add(CLAIM + claimKey); // the binding is half-made: the claim's sync finishes it
      return;
    }
    if (claimVolume === name) {
      if (phaseOf(pv) !== 'Bound') await this.setVolumePhase(pv, 'Bound');
      return;
    }
    // The claim is bound to another volume: a binding we made here is undone; an admin's is left alone.
    if (pv.metadata.annotations?.[ANN_BOUND_BY_CONTROLLER] === 'yes') {
      const next = structuredClone(pv);
      if (isPlainObject(next.spec)) delete next.spec.claimRef;
      const annotations = { ...next.metadata.annotations };
      delete annotations[ANN_BOUND_BY_CONTROLLER];
      next.metadata.annotations = annotations;
      const updated = await this.client.update(Resources.persistentvolumes, next);
      await this.setVolumePhase(updated, 'Available');
    }
  }

  private async liveClaim(namespace: string, name: string): Promise<PersistentVolumeClaim | undefined> {
    try {
      return await this.client.get<PersistentVolumeClaim>(Resources.persistentvolumeclaims, name, namespace);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** The volume's claim is gone: Released, then its reclaim policy. */
  private async reclaim(cached: PersistentVolume): Promise<void> {
    const pv = phaseOf(cached) === 'Released' ? cached : await this.setVolumePhase(cached, 'Released');
    const name = pv.metadata.name ?? '';
    const policy = reclaimPolicyOf(pv);
    if (policy === 'Retain') return;
    if (policy !== 'Delete') {
      this.recorder.event(pv, 'Warning', 'VolumeFailedRecycle', `reclaim policy ${policy} is not supported; the volume stays Released`);
      return;
    }
    try {
      await this.provisioner.delete(pv);
    } catch (e) {
      this.recorder.event(pv, 'Warning', 'VolumeFailedDelete', (e as Error).message);
      throw e;
    }
    try {
      await this.client.delete(Resources.persistentvolumes, name, { preconditions: { uid: pv.metadata.uid ?? '' } });
      this.logger.info({ volume: name }, 'deleted a released volume (reclaim policy Delete)');
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  private withPhase(pv: PersistentVolume, phase: string): PersistentVolume {
    const next = structuredClone(pv);
    const status = isPlainObject(next.status) ? next.status : {};
    next.status = { ...status, phase, lastPhaseTransitionTime: new Date(this.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z') };
    return next;
  }

  private async setVolumePhase(pv: PersistentVolume, phase: string): Promise<PersistentVolume> {
    return this.client.updateStatus(Resources.persistentvolumes, this.withPhase(pv, phase));
  }
}

/** The binder with the local-path provisioner putting volumes under `localPathDir`. */
export function persistentVolumeControllerFactory(options: PersistentVolumeControllerOptions): ControllerFactory {
  return (ctx) => new PersistentVolumeController(ctx, options);
}

/** As registered by default: volumes under `.picokube/volumes` of the working directory (main.ts passes `--local-path-dir`). */
export const defaultPersistentVolumeControllerFactory: ControllerFactory = persistentVolumeControllerFactory({ localPathDir: LOCAL_PATH_DIR_DEFAULT });
