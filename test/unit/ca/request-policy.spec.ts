import { expect } from 'chai';
import { approveNames, checkKey } from '../../../src/ca/request-policy';
import { checkDnsName, checkDnsNames, isUnderSuffix } from '../../../src/ca/dns-policy';
import { CaError, CaErrorCode } from '../../../src/ca/errors';
import { checkProfile, type CaProfile } from '../../../src/ca/profile';

const profile: CaProfile = {
  id: 'intranet',
  keyAlgorithm: 'RSA',
  minKeySize: 3072,
  validityDays: 397,
  allowedDnsSuffixes: ['corp.example.com', '.example.net'],
  subjectTemplate: { organization: 'Example AG', country: 'DE' },
};

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(CaError);
    return (err as CaError).code;
  }
  return 'none';
}

describe('domain policy', () => {
  it('when a name equals or lies under an allowed suffix, then it is allowed, normalized to lower case', () => {
    expect(checkDnsName('Web.Corp.Example.com.', profile)).to.equal('web.corp.example.com');
    expect(checkDnsName('example.net', profile)).to.equal('example.net');
  });

  it('when a name only ends with the suffix text but is not under it, then it is refused', () => {
    expect(isUnderSuffix('evilcorp.example.com', 'corp.example.com')).to.equal(false);
    expect(codeOf(() => checkDnsName('evilcorp.example.com', profile))).to.equal(CaErrorCode.DNS_NOT_ALLOWED);
  });

  it('when a name is not a valid host name, then DNS_NAME_INVALID', () => {
    for (const bad of ['-a.corp.example.com', 'a..corp.example.com', 'a_b.corp.example.com', 'localhost', 'ä.corp.example.com', `${'a'.repeat(64)}.corp.example.com`]) {
      expect(codeOf(() => checkDnsName(bad, profile)), bad).to.equal(CaErrorCode.DNS_NAME_INVALID);
    }
  });

  it('when a wildcard is requested, then it is refused unless the profile allows wildcards', () => {
    expect(codeOf(() => checkDnsName('*.corp.example.com', profile))).to.equal(CaErrorCode.DNS_WILDCARD_NOT_ALLOWED);
    expect(checkDnsName('*.corp.example.com', { ...profile, allowWildcards: true })).to.equal('*.corp.example.com');
    expect(codeOf(() => checkDnsName('*.example.org', { ...profile, allowWildcards: true }))).to.equal(CaErrorCode.DNS_NOT_ALLOWED);
  });

  it('when the profile has no suffixes, then no DNS name is allowed: the policy fails closed (issue 17.12)', () => {
    const client: CaProfile = { ...profile, allowedDnsSuffixes: [], extendedKeyUsage: ['clientAuth'] };
    expect(codeOf(() => checkDnsName('anything.example.org', client))).to.equal(CaErrorCode.DNS_NOT_ALLOWED);
  });

  it('when a name is an IP address in any spelling, then DNS_NAME_INVALID, whatever the policy (issue 17.12)', () => {
    const numeric: CaProfile = { ...profile, allowedDnsSuffixes: ['corp.example.com', '0.0.1'] };
    for (const ip of ['10.0.0.1', '192.168.1.1.', '127.0.0.1', '127.1', '0x7f.0.0.1', '10.0.0.0x1', '1.2.3.010']) {
      expect(codeOf(() => checkDnsName(ip, numeric)), ip).to.equal(CaErrorCode.DNS_NAME_INVALID);
    }
    expect(checkDnsName('10.0.0.1.corp.example.com', profile)).to.equal('10.0.0.1.corp.example.com');
  });

  it('when a name has a character that is not ASCII, then it is refused, not folded into an ASCII name (issue 17.15)', () => {
    // U+212A KELVIN SIGN lower-cases to the ASCII letter k; U+00A0 is trimmed by String.trim.
    for (const bad of ['\u212Aiosk.corp.example.com', 'www.corp.example.com\u00a0', 'www.corp.example.com\u200b', '\ufeffwww.corp.example.com']) {
      expect(codeOf(() => checkDnsName(bad, profile)), JSON.stringify(bad)).to.equal(CaErrorCode.DNS_NAME_INVALID);
    }
  });

  it('when more than 100 DNS names are asked for, then SAN_TOO_MANY; 100 are fine (issue 17.15)', () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `h${i}.corp.example.com`);
    expect(checkDnsNames(names(100), profile)).to.have.length(100);
    expect(codeOf(() => checkDnsNames(names(101), profile))).to.equal(CaErrorCode.SAN_TOO_MANY);
    expect(codeOf(() => checkDnsNames(names(1500), profile))).to.equal(CaErrorCode.SAN_TOO_MANY);
    // The common name joins the names: 100 others plus a new common name are 101.
    expect(codeOf(() => approveNames({ commonName: 'cn.corp.example.com', dnsNames: names(100) }, profile))).to.equal(CaErrorCode.SAN_TOO_MANY);
  });
});

describe('the common name of a TLS server certificate (issue 17.2)', () => {
  const client: CaProfile = { ...profile, extendedKeyUsage: ['clientAuth'] };

  it('when the profile issues TLS server certificates, then the common name must be a DNS name under the policy, and it is always a DNS name of the certificate', () => {
    for (const tls of [profile, { ...profile, extendedKeyUsage: ['serverAuth' as const] }, { ...profile, extendedKeyUsage: ['clientAuth' as const, 'serverAuth' as const] }]) {
      expect(approveNames({ commonName: 'Web.Corp.Example.com', dnsNames: [] }, tls)).to.deep.include({ commonName: 'web.corp.example.com', dnsNames: ['web.corp.example.com'] });
      for (const cn of ['evil_host.evil.com', 'www.evil.com:443', 'www.evil.com/x', 'www.evil.com\u200b', 'web.corp.example.com\u200b', 'web.corp.example.com:443', 'intranet', 'Erika Mustermann', '10.0.0.1']) {
        expect(codeOf(() => approveNames({ commonName: cn, dnsNames: ['web.corp.example.com'] }, tls)), JSON.stringify(cn)).to.equal(CaErrorCode.SUBJECT_INVALID);
        expect(codeOf(() => approveNames({ dnsNames: [] }, tls, { commonName: cn })), `edit ${JSON.stringify(cn)}`).to.equal(CaErrorCode.SUBJECT_INVALID);
      }
    }
  });

  it('when the profile issues client certificates only, then a person\'s name is a common name, but never an invisible character', () => {
    expect(approveNames({ commonName: 'Jürgen Müller', dnsNames: [] }, client)).to.deep.include({ commonName: 'Jürgen Müller', dnsNames: [] });
    for (const cn of ['Erika\u200bMustermann', 'Erika\u00a0Mustermann', 'Erika\u202eMustermann', 'Erika\u0007', 'Erika\u2028Mustermann']) {
      expect(codeOf(() => approveNames({ commonName: cn, dnsNames: [] }, client)), JSON.stringify(cn)).to.equal(CaErrorCode.SUBJECT_INVALID);
    }
  });
});

describe('approving a request', () => {
  it('when the operator edits the names, then the edits replace the request and the template fixes the organization', () => {
    const approved = approveNames({ commonName: 'old.corp.example.com', dnsNames: ['old.corp.example.com'] }, profile, {
      commonName: 'New.corp.example.com',
      dnsNames: ['alias.corp.example.com'],
    });
    expect(approved.commonName).to.equal('new.corp.example.com');
    expect(approved.dnsNames).to.deep.equal(['new.corp.example.com', 'alias.corp.example.com']);
    expect(approved.subject).to.deep.equal([
      { shortName: 'C', value: 'DE' },
      { shortName: 'O', value: 'Example AG' },
      { shortName: 'CN', value: 'new.corp.example.com' },
    ]);
  });

  it('when an edit puts a name outside the policy, then it is refused', () => {
    expect(codeOf(() => approveNames({ dnsNames: [] }, profile, { dnsNames: ['x.example.org'] }))).to.equal(CaErrorCode.DNS_NOT_ALLOWED);
  });

  it('when there is neither common name nor DNS name, then SUBJECT_MISSING', () => {
    expect(codeOf(() => approveNames({ dnsNames: [] }, profile))).to.equal(CaErrorCode.SUBJECT_MISSING);
  });

  it('when the common name is a person under a client profile, then it is kept and no DNS name is added', () => {
    const approved = approveNames({ commonName: 'Erika Mustermann', dnsNames: [] }, { ...profile, extendedKeyUsage: ['clientAuth'] });
    expect(approved.dnsNames).to.deep.equal([]);
    expect(approved.commonName).to.equal('Erika Mustermann');
  });

  it('when a client profile has no policy, then a host-like common name stays a name and becomes no DNS name', () => {
    expect(approveNames({ commonName: 'laptop.corp.example.com', dnsNames: [] }, { ...profile, extendedKeyUsage: ['clientAuth'], allowedDnsSuffixes: [] })).to.deep.include({
      commonName: 'laptop.corp.example.com',
      dnsNames: [],
    });
  });

  it('when the key is shorter than the profile minimum, then KEY_TOO_WEAK names both sizes', () => {
    try {
      checkKey({ type: 'rsa', bits: 2048 }, profile);
      expect.fail('no refusal');
    } catch (err) {
      expect((err as CaError).code).to.equal(CaErrorCode.KEY_TOO_WEAK);
      expect((err as CaError).message).to.match(/2048-bit RSA key.*at least 3072 bits/);
    }
  });

  it('when an RSA key is larger than 8192 bits or not a whole number of bytes, then KEY_UNSUPPORTED (issue 17.13)', () => {
    expect(() => checkKey({ type: 'rsa', bits: 8192 }, profile)).not.to.throw();
    expect(codeOf(() => checkKey({ type: 'rsa', bits: 16384 }, profile))).to.equal(CaErrorCode.KEY_UNSUPPORTED);
    expect(codeOf(() => checkKey({ type: 'rsa', bits: 3076 }, profile))).to.equal(CaErrorCode.KEY_UNSUPPORTED);
  });

  it('when a profile that issues TLS server certificates has no domain policy, then PROFILE_INVALID (issue 17.12)', () => {
    for (const extendedKeyUsage of [undefined, [], ['serverAuth' as const], ['clientAuth' as const, 'serverAuth' as const]]) {
      for (const allowedDnsSuffixes of [[], [''], ['.'], ['*.']]) {
        expect(codeOf(() => checkProfile({ ...profile, extendedKeyUsage, allowedDnsSuffixes })), `${String(extendedKeyUsage)} ${JSON.stringify(allowedDnsSuffixes)}`).to.equal(CaErrorCode.PROFILE_INVALID);
      }
    }
    expect(() => checkProfile({ ...profile, extendedKeyUsage: ['clientAuth'], allowedDnsSuffixes: [] })).not.to.throw();
    expect(codeOf(() => checkProfile({ ...profile, allowedDnsSuffixes: ['corp.example.com', 'not a domain'] }))).to.equal(CaErrorCode.PROFILE_INVALID);
    expect(codeOf(() => checkProfile({ ...profile, allowedDnsSuffixes: ['corp.example.com', '0.0.1'] }))).to.equal(CaErrorCode.PROFILE_INVALID);
  });

  it('when a profile is unusable, then PROFILE_INVALID names the field', () => {
    try {
      checkProfile({ ...profile, minKeySize: 1024 });
      expect.fail('no refusal');
    } catch (err) {
      expect((err as CaError).code).to.equal(CaErrorCode.PROFILE_INVALID);
      expect((err as CaError).message).to.match(/minKeySize/);
    }
  });
});
