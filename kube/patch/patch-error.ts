/**
 * A patch that is malformed or cannot be applied. `status` is the HTTP code kube-apiserver answers
 * with: 400 for a patch it cannot read (not JSON of the right shape, an unknown directive), 422 for
 * a well-formed patch that does not apply to this object (a failed `test`, a missing path), 413 for
 * a patch over a size limit. The message is meant for the Status's `message`.
 */
export class PatchError extends Error {
  override readonly name = 'PatchError';

  constructor(
    message: string,
    readonly status: 400 | 413 | 422 = 400,
  ) {
    super(message);
  }
}

/**
 * Runs a patch computation, turning a stack overflow (a patch or object nested thousands of levels
 * deep; the algorithms recurse on depth) into a 400 PatchError instead of an escaping RangeError.
 */
export function withDepthGuard<T>(compute: () => T): T {
  try {
    return compute();
  } catch (e) {
    if (e instanceof RangeError) throw new PatchError('the patch or the object is nested too deeply');
    throw e;
  }
}
