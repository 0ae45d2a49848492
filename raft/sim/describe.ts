import type { Message } from '../core/types.js';

/** One readable line per message, for traces: `1->2 app t2 i3/lt2 [4/2 5/2] c3`. */
export function describeMessage(m: Message): string {
  let s = `${m.from}->${m.to} ${m.type} t${m.term}`;
  if (m.index !== undefined) s += ` i${m.index}`;
  if (m.logTerm !== undefined) s += `/lt${m.logTerm}`;
  if (m.entries && m.entries.length > 0) {
    const first = m.entries[0];
    const last = m.entries[m.entries.length - 1];
    s += m.entries.length === 1 ? ` [${first?.index}/${first?.term}]` : ` [${first?.index}/${first?.term}..${last?.index}/${last?.term}]`;
  }
  if (m.commit !== undefined) s += ` c${m.commit}`;
  if (m.reject) s += ` REJECT hint=${m.rejectHint ?? ''}`;
  if (m.snapshot) s += ` snap@${m.snapshot.metadata.index}/${m.snapshot.metadata.term}`;
  if (m.context) s += ' ctx';
  if (m.transfer) s += ' transfer';
  return s;
}
