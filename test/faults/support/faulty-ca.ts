/**
 * A CA connector that fails on demand, in front of the run's built-in CA: `throw` (the CA
 * refuses connections: each faulted call throws a technical error), `hang` (the CA never answers),
 * or `ok`, for the methods named (issuance by default: the checks before it, such as reviewCsr at
 * "Check the server request", keep working). Switched by the test while a process runs; counts
 * the calls that reached it.
 */
import type { CaConnector } from '../../../src/ca/connector';

export interface CaFault {
  mode: 'ok' | 'throw' | 'hang';
  /** The CA methods the mode applies to. */
  methods: string[];
  /** Calls by method name, failed or not (`within` is not counted). */
  calls: Record<string, number>;
}

export function caFault(methods: string[] = ['issueFromCsr']): CaFault {
  return { mode: 'ok', methods, calls: {} };
}

export function faultyCa(ca: CaConnector, fault: CaFault): CaConnector {
  return new Proxy(ca, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop === 'within') return (tx: Parameters<CaConnector['within']>[0]) => faultyCa(target.within(tx), fault);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        fault.calls[prop] = (fault.calls[prop] ?? 0) + 1;
        if (!fault.methods.includes(prop)) return (value as (...a: unknown[]) => unknown).apply(target, args);
        if (fault.mode === 'throw') return Promise.reject(new Error('connect ECONNREFUSED 10.0.0.7:8443'));
        if (fault.mode === 'hang') return new Promise(() => undefined);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
