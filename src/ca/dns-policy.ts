/**
 * The profile's domain policy: every DNS name must be a valid host name, not an IP address,
 * under one of the allowed suffixes; a profile without suffixes issues no DNS names (it fails
 * closed, issue 17.12). Pure functions, no I/O.
 */
import { CaError, CaErrorCode, shown } from './errors';
import type { CaProfile } from './profile';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Most DNS names one certificate carries, and most alternative names a CSR may ask for
 * (issue 17.15). Public CAs use the same bound; a device needing more wants several certificates.
 */
export const MAX_DNS_NAMES = 100;

/**
 * Lower-cases a DNS name, trims ASCII white space and drops one trailing dot (`host.example.`
 * is absolute). Only ASCII space is trimmed: String.trim would silently drop U+00A0 or U+FEFF
 * and turn a name that is not a DNS name into one that is.
 */
export function normalizeDnsName(name: string): string {
  return name.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '').toLowerCase().replace(/\.$/, '');
}

/** Printable ASCII without space: the only characters a DNS name (dNSName, IA5String) may hold here. */
const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;

/** Normalizes a policy suffix: `.example.com` and `*.example.com` both mean `example.com`. */
export function normalizeSuffix(suffix: string): string {
  return normalizeDnsName(suffix).replace(/^\*?\./, '');
}

/** True when `name` (normalized, without wildcard) is a syntactically valid host name. */
export function isValidHostName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((label) => LABEL.test(label));
}

/**
 * True when the last label of `name` (normalized) is a number, decimal or 0x-hex: the WHATWG URL
 * parser then reads the whole host as an IPv4 address (10.0.0.1, 127.1, 0x7f.0.0.1, 10.0.0.0x1),
 * and no top-level domain is numeric (RFC 3696 2). Such a name is an IP literal, never a DNS name.
 */
export function endsInNumber(name: string): boolean {
  const last = name.slice(name.lastIndexOf('.') + 1);
  return /^[0-9]+$/.test(last) || /^0x[0-9a-f]*$/i.test(last);
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
  const trimmed = input.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
  if (!PRINTABLE_ASCII.test(trimmed)) {
    // Before lower-casing: 'K' (U+212A KELVIN SIGN) lower-cases to the ASCII letter k.
    throw new CaError(
      CaErrorCode.DNS_NAME_INVALID,
      `"${shown(input)}" is not a valid DNS name: it holds a character that is not ASCII or is a control character ` +
        '(an internationalized name is written in its xn-- form).',
      { dnsName: input },
    );
  }
  const name = normalizeDnsName(trimmed);
  const wildcard = name.startsWith('*.');
  const host = wildcard ? name.slice(2) : name;
  if (!isValidHostName(host) || !host.includes('.')) {
    throw new CaError(
      CaErrorCode.DNS_NAME_INVALID,
      `"${input}" is not a valid DNS name (letters, digits and hyphens in dot-separated labels, e.g. host.example.com).`,
      { dnsName: input },
    );
  }
  if (endsInNumber(host)) {
    throw new CaError(
      CaErrorCode.DNS_NAME_INVALID,
      `"${input}" is an IP address, not a DNS name; an IP address is never issued as a DNS name.`,
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
  if (!hasDomainPolicy(profile)) {
    // Fails closed (issue 17.12): no policy means no DNS names, not any DNS name.
    throw new CaError(
      CaErrorCode.DNS_NOT_ALLOWED,
      `Certificate profile "${profile.id}" has no domain policy, so its certificates carry no DNS names; "${input}" cannot be issued.`,
      { dnsName: input, allowedDnsSuffixes: [] },
    );
  }
  // A wildcard is allowed only when the names it covers are: its base must be under a suffix.
  if (!suffixes.some((s) => isUnderSuffix(host, s))) {
    throw new CaError(
      CaErrorCode.DNS_NOT_ALLOWED,
      `The DNS name "${input}" is outside the domain policy of certificate profile "${profile.id}" ` +
        `(allowed: ${suffixes.join(', ')}).`,
      { dnsName: input, allowedDnsSuffixes: suffixes },
    );
  }
  return name;
}

/** True when the profile lists at least one allowed DNS suffix. */
export function hasDomainPolicy(profile: Pick<CaProfile, 'allowedDnsSuffixes'>): boolean {
  return profile.allowedDnsSuffixes.some((s) => normalizeSuffix(s) !== '');
}

/** Throws SAN_TOO_MANY when `count` names are more than one certificate carries. */
export function checkDnsNameCount(count: number): void {
  if (count > MAX_DNS_NAMES) {
    throw new CaError(
      CaErrorCode.SAN_TOO_MANY,
      `${count} DNS names were asked for; one certificate carries at most ${MAX_DNS_NAMES}. Split the names over several certificates.`,
      { count, max: MAX_DNS_NAMES },
    );
  }
}

/** Checks every name (at most MAX_DNS_NAMES), drops duplicates, keeps the order given. */
export function checkDnsNames(names: readonly string[], profile: CaProfile): string[] {
  checkDnsNameCount(names.length);
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
