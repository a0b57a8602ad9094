/**
 * The refusal a process holds for its operator (issue 18.8): a use case's models map a refused
 * step's message to the variable `refusal` (a JSON string) in the scope that shows it — the
 * instance's own for a refused first step, a sub-process's for its form's message.
 */
export function refusalIn(variables: ReadonlyArray<{ name: string; value: string }>): string | null {
  const v = variables.find((r) => r.name === 'refusal');
  if (!v) return null;
  try {
    const parsed: unknown = JSON.parse(v.value);
    return typeof parsed === 'string' && parsed !== '' ? parsed : null;
  } catch {
    return null;
  }
}
