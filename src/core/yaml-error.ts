/** One readable clause for a YAML parse error: "line 3: Nested mappings are not allowed…". */
export function yamlErrorReason(error: unknown, lineOffset = 0): string {
  const message = (error instanceof Error ? error.message : String(error))
    .split('\n')[0]!
    .replace(/ at line \d+, column \d+:?$/, '')
    .replace(/\.$/, '');
  const line = (error as { linePos?: Array<{ line: number }> }).linePos?.[0]?.line;
  return line === undefined ? message : `line ${line + lineOffset}: ${message}`;
}
