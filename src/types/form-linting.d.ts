// @camunda/form-linting ships no types; this is the part the lint script uses.
declare module '@camunda/form-linting' {
  export class FormLinter {
    lint(schema: unknown): Array<{ id?: string; message: string; path?: unknown[] }>;
  }
}
