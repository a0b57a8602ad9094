import { expect } from 'chai';
import { availability, availableUseCases, findUseCase, USE_CASES, type ObjectFacts, type UseCaseSwitches } from '../../../src/domain/use-cases';
import { MACHINES } from '../../../src/domain/states';

const none: UseCaseSwitches = { disabled: new Set(), enabledCardCommands: new Set() };
const names = (o: ObjectFacts, s: UseCaseSwitches = none) => availableUseCases(o, s).map((u) => u.symbolicName);

describe('use cases available on an object (spec 001-004 "Process start")', () => {
  it('when an asset or a profile is Active, then Enroll profile is offered; otherwise not', () => {
    expect(names({ kind: 'asset', state: 'Active' })).to.deep.equal(['AssetsProcEnrollProfile']);
    expect(names({ kind: 'certificate-profile', state: 'Active' })).to.deep.equal(['AssetsProcEnrollProfile']);
    expect(names({ kind: 'certificate-profile', state: 'Inactive' })).to.deep.equal([]);
  });

  it('when an asset is Pending, then only Assign certificate profile is offered, its way back to Active (spec 000, issue 18.10)', () => {
    expect(names({ kind: 'asset', state: 'Pending' })).to.deep.equal(['AssetsProcAssignProfile']);
    expect(names({ kind: 'asset', state: 'Inactive' })).to.deep.equal([]);
  });

  it('when a certificate is on hold, then Lock certificate and Unlock certificate are offered; when Valid, only Lock; revoked, neither (issue 18.12)', () => {
    expect(names({ kind: 'certificate', state: 'Certificate hold' })).to.deep.equal(['AssetsProcLockCertificate', 'AssetsProcUnlockCertificate']);
    expect(names({ kind: 'certificate', state: 'Valid' })).to.deep.equal(['AssetsProcLockCertificate']);
    expect(names({ kind: 'certificate', state: 'Key compromised' })).to.deep.equal([]);
  });

  it('when a request is Requested, then Approve request is offered; once decided, not', () => {
    expect(names({ kind: 'request', state: 'Requested' })).to.deep.equal(['AssetsProcApproval']);
    expect(names({ kind: 'request', state: 'Approved' })).to.deep.equal([]);
  });

  it('when a card is active, then Deactivate card; when a smart card is inactive, nothing', () => {
    expect(names({ kind: 'card', state: 'active', cardType: 'smart-card' })).to.deep.equal(['CardsProcDeactivate']);
    expect(names({ kind: 'card', state: 'inactive', cardType: 'smart-card' })).to.deep.equal([]);
  });

  it('when a virtual smart card is inactive, then Reactivate is offered only once an admin enabled the command', () => {
    const vsc: ObjectFacts = { kind: 'card', state: 'inactive', cardType: 'virtual-smart-card' };
    expect(names(vsc)).to.deep.equal([]);
    expect(availability(findUseCase('VirtualSmartCardProcReactivate')!, vsc, none)).to.deep.equal({
      available: false,
      reason: 'Reactivate virtual smart card is not enabled for virtual-smart-card (an admin enables it as an additional command)',
    });
    const enabled = { ...none, enabledCardCommands: new Set(['virtual-smart-card/VirtualSmartCardProcReactivate']) };
    expect(names(vsc, enabled)).to.deep.equal(['VirtualSmartCardProcReactivate']);
    expect(names({ ...vsc, state: 'active' }, enabled)).to.deep.equal(['CardsProcDeactivate']);
  });

  it('when an admin disables a use case, then it is not offered and the reason says so', () => {
    const off = { ...none, disabled: new Set(['CardsProcDeactivate']) };
    expect(names({ kind: 'card', state: 'active', cardType: 'smart-card' }, off)).to.deep.equal([]);
    expect(availability(findUseCase('CardsProcDeactivate')!, { kind: 'card', state: 'active', cardType: 'smart-card' }, off)).to.deep.include({
      reason: 'Deactivate card is disabled by an admin',
    });
  });

  it('when the state is wrong, then the reason names the required and the actual state', () => {
    expect(availability(findUseCase('AssetsProcLockCertificate')!, { kind: 'certificate', state: 'Superseded' }, none)).to.deep.equal({
      available: false,
      reason: "Lock certificate needs the certificate in state 'Valid' or 'Certificate hold'; it is 'Superseded'",
    });
  });

  it('then every required state is a real state of its object', () => {
    const machineOf = { asset: MACHINES.assets, 'certificate-profile': MACHINES.certificate_profiles, certificate: MACHINES.certificates, request: MACHINES.requests, card: MACHINES.cards };
    for (const u of USE_CASES) {
      for (const [kind, states] of Object.entries(u.startsOn)) {
        for (const s of states ?? []) expect(machineOf[kind as keyof typeof machineOf].states, `${u.symbolicName} on ${kind}`).to.include(s);
      }
    }
  });
});
