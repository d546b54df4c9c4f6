/**
 * An error's message with its `code` once: `[CODE] message`, unless the
 * message already begins with it (Node's own errors do: "ENOENT: no such file…").
 */
export function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && code !== '' && !message.startsWith(`${code}:`)
    ? `[${code}] ${message}`
    : message;
}
