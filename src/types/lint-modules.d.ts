// @camunda/form-linting ships no types; this is the part the lint script uses.
declare module '@camunda/form-linting' {
  export class FormLinter {
    lint(schema: unknown): Array<{ id?: string; message: string; path?: unknown[] }>;
  }
}

// bpmnlint, bpmn-moddle and the resolver ship no types for what the lint script uses.
declare module 'bpmnlint' {
  export class Linter {
    constructor(options: { config: unknown; resolver: unknown });
    lint(root: unknown): Promise<Record<string, Array<{ id?: string; message: string; category?: string }>>>;
  }
}
declare module 'bpmnlint/lib/resolver/node-resolver' {
  export default class NodeResolver {}
}
declare module 'bpmn-moddle' {
  export class BpmnModdle {
    constructor(extensions?: Record<string, unknown>);
    fromXML(xml: string): Promise<{ rootElement: unknown; warnings: Array<{ message: string }> }>;
  }
}
