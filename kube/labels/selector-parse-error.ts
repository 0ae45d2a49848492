/**
 * A label or field selector that does not parse or validate. The message is worded as
 * kube-apiserver words it (`unable to parse requirement: …`, `invalid selector: …`), so the
 * apiserver can answer 400 BadRequest with it unchanged.
 */
export class SelectorParseError extends Error {
  override readonly name = 'SelectorParseError';
}
