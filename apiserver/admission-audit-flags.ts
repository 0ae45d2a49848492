import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { type AdmissionChain, buildAdmissionChain, parsePluginList } from './admission/chain.js';
import { AuditLogFile, type AuditSink } from './audit/audit-log.js';
import { type AuditPolicy, DEFAULT_AUDIT_POLICY, parseAuditPolicy } from './audit/audit-policy.js';

/**
 * kube-apiserver's admission and audit flags, read into buildApiserver's `admission` and `audit`
 * options. Kept apart from main.ts so that the flag list, its help and its checks stay together.
 */

export const ADMISSION_AUDIT_FLAGS_HELP = `  --enable-admission-plugins LIST   admission plugins to run (all are on by default:
                                    NamespaceLifecycle,LimitRanger,ServiceAccount,NodeRestriction,ResourceQuota)
  --disable-admission-plugins LIST  admission plugins to turn off
  --audit-log-path PATH          write an audit event (JSON line) per request to PATH ('-': stdout); default: no audit log
  --audit-policy-file FILE       audit.k8s.io/v1 Policy deciding each request's level (default: Metadata for all)
  --audit-log-maxsize MB         rotate the audit log before it passes MB megabytes (default 100; 0 never)
  --audit-log-maxbackup N        rotated audit logs to keep (default 10)
`;

export const admissionAuditFlagOptions = {
  'enable-admission-plugins': { type: 'string' },
  'disable-admission-plugins': { type: 'string' },
  'audit-log-path': { type: 'string' },
  'audit-policy-file': { type: 'string' },
  'audit-log-maxsize': { type: 'string', default: '100' },
  'audit-log-maxbackup': { type: 'string', default: '10' },
} as const;

export interface AdmissionAuditSetup {
  readonly admission: AdmissionChain;
  readonly audit?: { readonly policy: AuditPolicy; readonly sink: AuditSink };
}

type FlagValues = Partial<Record<keyof typeof admissionAuditFlagOptions, string | boolean | undefined>>;

/** The options the flags ask for; throws an Error with a message for the user on a bad flag or policy file. */
export function admissionAuditFromFlags(values: FlagValues, logger: Logger): AdmissionAuditSetup {
  const text = (k: keyof typeof admissionAuditFlagOptions): string | undefined => {
    const v = values[k];
    return typeof v === 'string' ? v : undefined;
  };
  const admission = buildAdmissionChain(parsePluginList(text('enable-admission-plugins')), parsePluginList(text('disable-admission-plugins')));
  const path = text('audit-log-path');
  if (path === undefined || path === '') return { admission };
  const maxSizeMb = Number(text('audit-log-maxsize') ?? '100');
  if (!Number.isSafeInteger(maxSizeMb) || maxSizeMb < 0) throw new Error('--audit-log-maxsize must be a whole number of megabytes');
  const maxBackups = Number(text('audit-log-maxbackup') ?? '10');
  if (!Number.isSafeInteger(maxBackups) || maxBackups < 0) throw new Error('--audit-log-maxbackup must be a whole number');
  const policyFile = text('audit-policy-file');
  let policy = DEFAULT_AUDIT_POLICY;
  if (policyFile) {
    try {
      policy = parseAuditPolicy(readFileSync(policyFile, 'utf8'));
    } catch (err) {
      throw new Error(`--audit-policy-file ${policyFile}: ${(err as Error).message}`);
    }
  }
  const sink: AuditSink =
    path === '-'
      ? { write: (e) => void process.stdout.write(`${JSON.stringify(e)}\n`), flush: async () => {}, close: async () => {} }
      : new AuditLogFile({ path, maxSizeBytes: maxSizeMb * 1024 * 1024, maxBackups, logger: logger.child({ component: 'audit' }) });
  return { admission, audit: { policy, sink } };
}
