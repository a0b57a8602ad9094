/**
 * The profile's domain policy: every DNS name must be a valid host name under one of the
 * allowed suffixes. Pure functions, no I/O.
 */
import { CaError, CaErrorCode } from './errors';
import type { CaProfile } from './profile';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** Lower-cases and trims a DNS name, and drops one trailing dot (`host.example.` is absolute). */
export function normalizeDnsName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/** Normalizes a policy suffix: `.example.com` and `*.example.com` both mean `example.com`. */
export function normalizeSuffix(suffix: string): string {
  return normalizeDnsName(suffix).replace(/^\*?\./, '');
}

/** True when `name` (normalized, without wildcard) is a syntactically valid host name. */
export function isValidHostName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((label) => LABEL.test(label));
}

/** True when `name` equals `suffix` or lies under it. */
export function isUnderSuffix(name: string, suffix: string): boolean {
  return name === suffix || name.endsWith(`.${suffix}`);
}

/**
 * Checks one DNS name against the profile and returns it normalized.
 * Throws `DNS_NAME_INVALID`, `DNS_WILDCARD_NOT_ALLOWED` or `DNS_NOT_ALLOWED`.
 */
export function checkDnsName(input: string, profile: CaProfile): string {
  const name = normalizeDnsName(input);
  const wildcard = name.startsWith('*.');
  const host = wildcard ? name.slice(2) : name;
  if (!isValidHostName(host) || !host.includes('.')) {
    throw new CaError(
      CaErrorCode.DNS_NAME_INVALID,
      `"${input}" is not a valid DNS name (letters, digits and hyphens in dot-separated labels, e.g. host.example.com).`,
      { dnsName: input },
    );
  }
  if (wildcard && !profile.allowWildcards) {
    throw new CaError(
      CaErrorCode.DNS_WILDCARD_NOT_ALLOWED,
      `The wildcard name "${input}" is not allowed by certificate profile "${profile.id}"; list each host name instead.`,
      { dnsName: input },
    );
  }
  const suffixes = profile.allowedDnsSuffixes.map(normalizeSuffix).filter((s) => s !== '');
  // A wildcard is allowed only when the names it covers are: its base must be under a suffix.
  if (suffixes.length > 0 && !suffixes.some((s) => isUnderSuffix(host, s))) {
    throw new CaError(
      CaErrorCode.DNS_NOT_ALLOWED,
      `The DNS name "${input}" is outside the domain policy of certificate profile "${profile.id}" ` +
        `(allowed: ${suffixes.join(', ')}).`,
      { dnsName: input, allowedDnsSuffixes: suffixes },
    );
  }
  return name;
}

/** Checks every name, drops duplicates, keeps the order given. */
export function checkDnsNames(names: readonly string[], profile: CaProfile): string[] {
  const out: string[] = [];
  for (const n of names) {
    const checked = checkDnsName(n, profile);
    if (!out.includes(checked)) out.push(checked);
  }
  return out;
}

/** True when a common name is meant as a host name (so it falls under the domain policy). */
export function looksLikeHostName(commonName: string): boolean {
  return /^[*a-z0-9.-]+$/i.test(commonName.trim()) && commonName.includes('.');
}
