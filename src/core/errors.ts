/**
 * Errors a person is meant to read. The message is one sentence that says what is wrong
 * and what to do; the exit code tells scripts whether the operation failed (1) or the
 * command was used wrongly (2). Anything else thrown is a bug and gets a stack trace
 * only with ORCHESTRA_DEBUG=1.
 */
export class OrchestraError extends Error {
  override readonly name = 'OrchestraError';
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(boundedMessage(message));
  }
}

/** A message longer than anyone reads: a 7 MB slug quoted in its refusal made a 7 MB reply (and daemon memory) per request. */
export const MAX_MESSAGE_CHARS = 8192;

function boundedMessage(message: string): string {
  if (message.length <= MAX_MESSAGE_CHARS) return message;
  return `${message.slice(0, MAX_MESSAGE_CHARS)}… (cut: ${message.length} characters in all)`;
}

/** Bad usage: a malformed argument, an unknown status, an invalid slug. Exit code 2. */
export class UsageError extends OrchestraError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** The message of any thrown value, for logs and error replies. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
