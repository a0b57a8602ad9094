import { expect } from 'chai';
import { capabilitiesOf, describeEngine, parseVersion } from '../../../src/engine/capabilities';

describe('engine: capabilities by version', () => {
  it('when the engine reports 8.6.0, then it has no task listeners, no groups, and searches instances through Operate', () => {
    const c = capabilitiesOf('8.6.0');
    expect(c).to.include({ generation: '8.6', taskListeners: false, groups: false, instanceSearch: 'operate-v1', signIn: 'webapp-login', userTaskKeyField: 'key' });
    expect(describeEngine(c, 'http://x')).to.match(/^Camunda 8\.6\.0 at http:\/\/x; lacks: user task listeners/);
  });

  it('when the engine reports 8.8 or 8.9, then it has listeners, groups and REST v2 searches', () => {
    for (const v of ['8.8.0', '8.9.21', '8.10.0-alpha1']) {
      expect(capabilitiesOf(v)).to.include({ generation: '8.8+', taskListeners: true, groups: true, instanceSearch: 'rest-v2', userTaskKeyField: 'userTaskKey' });
    }
    expect(describeEngine(capabilitiesOf('8.9.21'), 'h')).to.equal('Camunda 8.9.21 at h (all features)');
  });

  it('when the engine is older than 8.6, is 8.7, or is no version at all, then it is refused with the reason', () => {
    expect(() => capabilitiesOf('8.5.8')).to.throw(/needs Camunda 8\.6 or newer/);
    expect(() => capabilitiesOf('8.7.3')).to.throw(/use 8\.6 .* or 8\.8\+/);
    expect(() => parseVersion('latest')).to.throw(/not a Camunda version/);
  });
});
