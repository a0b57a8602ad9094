import { expect } from 'chai';
import { subjectTemplateOf, toCaProfile } from '../../../src/ca/store-profile';
import { CaError } from '../../../src/ca/errors';
import type { CertificateProfile } from '../../../src/store/profiles';

const profile: CertificateProfile = {
  id: 7,
  name: 'Web server TLS (P10)',
  description: null,
  protocol: 'P10',
  keyAlgorithm: 'RSA',
  minKeySize: 2048,
  validityDays: 397,
  subjectTemplate: 'CN={commonName},OU={organizationalUnit},O=Example Corp,C=SE',
  extendedKeyUsage: ['serverAuth'],
  allowedDnsSuffixes: ['corp.example.com'],
  enrollmentApprovalRequired: true,
  revocationApprovalRequired: false,
  approverGroup: 'workplace-certificate-agent',
  approverEmails: [],
  state: 'Active',
  createdAt: new Date(),
  updatedAt: new Date(),
};

describe('store profile -> CA profile', () => {
  it('when the template has fixed values and placeholders, then fixed values stay and placeholders take the asset data', () => {
    expect(subjectTemplateOf(profile.subjectTemplate, { organizationalUnit: 'IT Operations', commonName: 'ignored' })).to.deep.equal({
      organizationalUnit: 'IT Operations',
      organization: 'Example Corp',
      country: 'SE',
    });
  });

  it('when a placeholder has no value, then the attribute is left out', () => {
    expect(subjectTemplateOf(profile.subjectTemplate)).to.deep.equal({ organization: 'Example Corp', country: 'SE' });
  });

  it('when mapped, then key, validity, domain policy and usages carry over', () => {
    expect(toCaProfile(profile, { organizationalUnit: 'Ops' })).to.deep.equal({
      id: '7',
      keyAlgorithm: 'RSA',
      minKeySize: 2048,
      validityDays: 397,
      subjectTemplate: { organizationalUnit: 'Ops', organization: 'Example Corp', country: 'SE' },
      allowedDnsSuffixes: ['corp.example.com'],
      extendedKeyUsage: ['serverAuth'],
    });
  });

  it('when the template is malformed or the country is not a code, then a clear error', () => {
    expect(() => subjectTemplateOf('CN={commonName},Organisation=X')).to.throw(/unknown attribute "ORGANISATION"/);
    expect(() => subjectTemplateOf('just text')).to.throw(/not KEY=value/);
    expect(() => toCaProfile({ ...profile, subjectTemplate: 'CN={commonName},C=Sweden' })).to.throw(CaError, /country/);
  });
});
