/**
 * What the .proto files cannot say about the Go structs behind them, and the JSON encoder needs.
 *
 * Go's protobuf marshaller writes every non-pointer field, zero or not, and writes a pointer
 * field only when it is non-nil. Go's JSON marshaller (with `omitempty`) drops zero values of
 * non-pointer fields and keeps a set pointer even when it points at a zero. So on the wire a
 * present `0`, `false` or `""` means "unset" for a plain field but "explicitly zero" for a
 * pointer field (`replicas: 0`, `automountServiceAccountToken: false`,
 * `storageClassName: ""`). EXPLICIT_ZERO_FIELDS lists the pointer scalars of the vendored API
 * groups (Kubernetes 1.32 types.go); every other scalar that decodes to its zero value is
 * omitted, which the Go decoder also treats as unset.
 *
 * INLINE_FIELDS lists embedded structs (`json:",inline"`): their fields are spliced into the
 * parent object instead of nesting under the proto field name.
 */

const EXPLICIT_ZERO_FIELDS: Record<string, readonly string[]> = {
  // meta/v1
  'k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta': ['deletionGracePeriodSeconds'],
  'k8s.io.apimachinery.pkg.apis.meta.v1.OwnerReference': ['controller', 'blockOwnerDeletion'],
  'k8s.io.apimachinery.pkg.apis.meta.v1.ListMeta': ['remainingItemCount'],
  'k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions': [
    'gracePeriodSeconds',
    'orphanDependents',
    'propagationPolicy',
    'ignoreStoreReadErrorWithClusterBreakingPotential',
  ],
  'k8s.io.apimachinery.pkg.apis.meta.v1.Preconditions': ['uid', 'resourceVersion'],
  'k8s.io.apimachinery.pkg.apis.meta.v1.PatchOptions': ['force'],
  'k8s.io.apimachinery.pkg.apis.meta.v1.ListOptions': ['timeoutSeconds', 'sendInitialEvents'],
  // core/v1
  'k8s.io.api.core.v1.PodSpec': [
    'terminationGracePeriodSeconds',
    'activeDeadlineSeconds',
    'automountServiceAccountToken',
    'shareProcessNamespace',
    'priority',
    'runtimeClassName',
    'enableServiceLinks',
    'preemptionPolicy',
    'setHostnameAsFQDN',
    'hostUsers',
  ],
  'k8s.io.api.core.v1.Container': ['restartPolicy'],
  'k8s.io.api.core.v1.EphemeralContainerCommon': ['restartPolicy'],
  'k8s.io.api.core.v1.Probe': ['terminationGracePeriodSeconds'],
  'k8s.io.api.core.v1.GRPCAction': ['service'],
  'k8s.io.api.core.v1.SecurityContext': [
    'privileged',
    'runAsUser',
    'runAsGroup',
    'runAsNonRoot',
    'readOnlyRootFilesystem',
    'allowPrivilegeEscalation',
    'procMount',
  ],
  'k8s.io.api.core.v1.PodSecurityContext': [
    'runAsUser',
    'runAsGroup',
    'runAsNonRoot',
    'fsGroup',
    'fsGroupChangePolicy',
    'supplementalGroupsPolicy',
    'seLinuxChangePolicy',
  ],
  'k8s.io.api.core.v1.WindowsSecurityContextOptions': ['gmsaCredentialSpecName', 'gmsaCredentialSpec', 'runAsUserName', 'hostProcess'],
  'k8s.io.api.core.v1.SeccompProfile': ['localhostProfile'],
  'k8s.io.api.core.v1.AppArmorProfile': ['localhostProfile'],
  'k8s.io.api.core.v1.PodDNSConfigOption': ['value'],
  'k8s.io.api.core.v1.PodResourceClaim': ['resourceClaimName', 'resourceClaimTemplateName'],
  'k8s.io.api.core.v1.PodResourceClaimStatus': ['resourceClaimName'],
  'k8s.io.api.core.v1.TopologySpreadConstraint': ['minDomains', 'nodeAffinityPolicy', 'nodeTaintsPolicy'],
  'k8s.io.api.core.v1.Toleration': ['tolerationSeconds'],
  'k8s.io.api.core.v1.ContainerStatus': ['started'],
  'k8s.io.api.core.v1.VolumeMount': ['mountPropagation', 'recursiveReadOnly'],
  'k8s.io.api.core.v1.VolumeMountStatus': ['recursiveReadOnly'],
  'k8s.io.api.core.v1.KeyToPath': ['mode'],
  'k8s.io.api.core.v1.DownwardAPIVolumeFile': ['mode'],
  'k8s.io.api.core.v1.DownwardAPIVolumeSource': ['defaultMode'],
  'k8s.io.api.core.v1.ConfigMapVolumeSource': ['defaultMode', 'optional'],
  'k8s.io.api.core.v1.SecretVolumeSource': ['defaultMode', 'optional'],
  'k8s.io.api.core.v1.ProjectedVolumeSource': ['defaultMode'],
  'k8s.io.api.core.v1.ConfigMapProjection': ['optional'],
  'k8s.io.api.core.v1.SecretProjection': ['optional'],
  'k8s.io.api.core.v1.ClusterTrustBundleProjection': ['name', 'signerName', 'optional'],
  'k8s.io.api.core.v1.ServiceAccountTokenProjection': ['expirationSeconds'],
  'k8s.io.api.core.v1.ConfigMapEnvSource': ['optional'],
  'k8s.io.api.core.v1.SecretEnvSource': ['optional'],
  'k8s.io.api.core.v1.ConfigMapKeySelector': ['optional'],
  'k8s.io.api.core.v1.SecretKeySelector': ['optional'],
  'k8s.io.api.core.v1.HostPathVolumeSource': ['type'],
  'k8s.io.api.core.v1.CSIVolumeSource': ['readOnly', 'fsType'],
  'k8s.io.api.core.v1.AzureDiskVolumeSource': ['cachingMode', 'fsType', 'readOnly', 'kind'],
  'k8s.io.api.core.v1.ISCSIVolumeSource': ['initiatorName'],
  'k8s.io.api.core.v1.ISCSIPersistentVolumeSource': ['initiatorName'],
  'k8s.io.api.core.v1.PersistentVolumeClaimSpec': ['storageClassName', 'volumeMode', 'volumeAttributesClassName'],
  'k8s.io.api.core.v1.PersistentVolumeClaimStatus': ['currentVolumeAttributesClassName'],
  'k8s.io.api.core.v1.PersistentVolumeSpec': ['volumeMode', 'volumeAttributesClassName'],
  'k8s.io.api.core.v1.ReplicationControllerSpec': ['replicas'],
  'k8s.io.api.core.v1.ServiceSpec': ['ipFamilyPolicy', 'allocateLoadBalancerNodePorts', 'loadBalancerClass', 'internalTrafficPolicy', 'trafficDistribution'],
  'k8s.io.api.core.v1.ServicePort': ['appProtocol'],
  'k8s.io.api.core.v1.EndpointPort': ['appProtocol'],
  'k8s.io.api.core.v1.ClientIPConfig': ['timeoutSeconds'],
  'k8s.io.api.core.v1.LoadBalancerIngress': ['ipMode'],
  'k8s.io.api.core.v1.PortStatus': ['error'],
  'k8s.io.api.core.v1.ServiceAccount': ['automountServiceAccountToken'],
  'k8s.io.api.core.v1.ConfigMap': ['immutable'],
  'k8s.io.api.core.v1.Secret': ['immutable'],
  'k8s.io.api.core.v1.NodeFeatures': ['supplementalGroupsPolicy'],
  'k8s.io.api.core.v1.PodLogOptions': ['sinceSeconds', 'tailLines', 'limitBytes', 'stream'],
  // apps/v1
  'k8s.io.api.apps.v1.DeploymentSpec': ['replicas', 'revisionHistoryLimit', 'progressDeadlineSeconds'],
  'k8s.io.api.apps.v1.DeploymentStatus': ['collisionCount'],
  'k8s.io.api.apps.v1.ReplicaSetSpec': ['replicas'],
  'k8s.io.api.apps.v1.StatefulSetSpec': ['replicas', 'revisionHistoryLimit'],
  'k8s.io.api.apps.v1.StatefulSetStatus': ['collisionCount'],
  'k8s.io.api.apps.v1.RollingUpdateStatefulSetStrategy': ['partition'],
  'k8s.io.api.apps.v1.DaemonSetSpec': ['revisionHistoryLimit'],
  'k8s.io.api.apps.v1.DaemonSetStatus': ['collisionCount'],
  // batch/v1
  'k8s.io.api.batch.v1.JobSpec': [
    'parallelism',
    'completions',
    'activeDeadlineSeconds',
    'backoffLimit',
    'backoffLimitPerIndex',
    'maxFailedIndexes',
    'manualSelector',
    'ttlSecondsAfterFinished',
    'completionMode',
    'suspend',
    'podReplacementPolicy',
    'managedBy',
  ],
  'k8s.io.api.batch.v1.JobStatus': ['terminating', 'failedIndexes', 'ready'],
  'k8s.io.api.batch.v1.CronJobSpec': ['timeZone', 'startingDeadlineSeconds', 'suspend', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit'],
  'k8s.io.api.batch.v1.PodFailurePolicyOnExitCodesRequirement': ['containerName'],
  'k8s.io.api.batch.v1.SuccessPolicyRule': ['succeededIndexes', 'succeededCount'],
  // coordination/v1
  'k8s.io.api.coordination.v1.LeaseSpec': ['holderIdentity', 'leaseDurationSeconds', 'leaseTransitions', 'strategy', 'preferredHolder'],
  // discovery/v1
  'k8s.io.api.discovery.v1.Endpoint': ['hostname', 'nodeName', 'zone'],
  'k8s.io.api.discovery.v1.EndpointConditions': ['ready', 'serving', 'terminating'],
  'k8s.io.api.discovery.v1.EndpointPort': ['name', 'protocol', 'port', 'appProtocol'],
  // policy/v1
  'k8s.io.api.policy.v1.PodDisruptionBudgetSpec': ['unhealthyPodEvictionPolicy'],
  // autoscaling/v1
  'k8s.io.api.autoscaling.v1.HorizontalPodAutoscalerSpec': ['minReplicas', 'targetCPUUtilizationPercentage'],
  'k8s.io.api.autoscaling.v1.HorizontalPodAutoscalerStatus': ['observedGeneration', 'currentCPUUtilizationPercentage'],
  'k8s.io.api.autoscaling.v1.ResourceMetricSource': ['targetAverageUtilization'],
  'k8s.io.api.autoscaling.v1.ResourceMetricStatus': ['currentAverageUtilization'],
  'k8s.io.api.autoscaling.v1.ContainerResourceMetricSource': ['targetAverageUtilization'],
  'k8s.io.api.autoscaling.v1.ContainerResourceMetricStatus': ['currentAverageUtilization'],
  // storage/v1
  'k8s.io.api.storage.v1.StorageClass': ['reclaimPolicy', 'allowVolumeExpansion', 'volumeBindingMode'],
  'k8s.io.api.storage.v1.CSIDriverSpec': ['attachRequired', 'podInfoOnMount', 'storageCapacity', 'fsGroupPolicy', 'requiresRepublish', 'seLinuxMount'],
  'k8s.io.api.storage.v1.VolumeAttachmentSource': ['persistentVolumeName'],
  'k8s.io.api.storage.v1.TokenRequest': ['expirationSeconds'],
  'k8s.io.api.storage.v1.VolumeNodeResources': ['count'],
};

const INLINE_FIELDS: Record<string, readonly string[]> = {
  'k8s.io.api.core.v1.ConfigMapEnvSource': ['localObjectReference'],
  'k8s.io.api.core.v1.ConfigMapKeySelector': ['localObjectReference'],
  'k8s.io.api.core.v1.ConfigMapProjection': ['localObjectReference'],
  'k8s.io.api.core.v1.ConfigMapVolumeSource': ['localObjectReference'],
  'k8s.io.api.core.v1.SecretEnvSource': ['localObjectReference'],
  'k8s.io.api.core.v1.SecretKeySelector': ['localObjectReference'],
  'k8s.io.api.core.v1.SecretProjection': ['localObjectReference'],
  'k8s.io.api.core.v1.EphemeralContainer': ['ephemeralContainerCommon'],
  'k8s.io.api.core.v1.Volume': ['volumeSource'],
  'k8s.io.api.core.v1.PersistentVolumeSpec': ['persistentVolumeSource'],
  'k8s.io.api.core.v1.Probe': ['handler'],
};

function toLookup(table: Record<string, readonly string[]>): ReadonlyMap<string, ReadonlySet<string>> {
  return new Map(Object.entries(table).map(([message, fields]) => [message, new Set(fields)]));
}

const explicitZero = toLookup(EXPLICIT_ZERO_FIELDS);
const inline = toLookup(INLINE_FIELDS);

/** Whether a present zero value of `field` in message `messageName` (no leading dot) is meaningful. */
export function keepsExplicitZero(messageName: string, field: string): boolean {
  return explicitZero.get(messageName)?.has(field) ?? false;
}

/** Whether `field` of `messageName` is an embedded Go struct whose fields JSON flattens into the parent. */
export function isInlineField(messageName: string, field: string): boolean {
  return inline.get(messageName)?.has(field) ?? false;
}
