import { expect } from 'chai';
import { EngineStartError, enginePaths, javaOptions, secondaryStorage } from '../../../src/engine/local-engine';

describe('engine: local engine settings', () => {
  it('when running on Java 25, then the JVM gets the heap and the native-access / unsafe-memory flags', () => {
    expect(javaOptions(25, '3g')).to.equal('-Xmx3g --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow');
  });

  it('when running on Java 21, then only the heap is set (the flags are unknown there)', () => {
    expect(javaOptions(21, '2g')).to.equal('-Xmx2g');
  });

  it('when no database URL is given, then the secondary storage is in-memory H2 and the broker data must be wiped', () => {
    expect(secondaryStorage(undefined)).to.deep.equal({ env: {}, inMemory: true, description: 'in-memory H2' });
  });

  it('when a PostgreSQL URL is given, then it becomes the RDBMS JDBC URL, user and password, and the broker data is kept', () => {
    const s = secondaryStorage('postgres://camunda:s%40cret@db.example:5433/camunda_secondary?sslmode=require');
    expect(s.inMemory).to.equal(false);
    expect(s.env).to.deep.equal({
      CAMUNDA_DATA_SECONDARYSTORAGE_TYPE: 'rdbms',
      CAMUNDA_DATA_SECONDARYSTORAGE_RDBMS_URL: 'jdbc:postgresql://db.example:5433/camunda_secondary?sslmode=require',
      CAMUNDA_DATA_SECONDARYSTORAGE_RDBMS_USERNAME: 'camunda',
      CAMUNDA_DATA_SECONDARYSTORAGE_RDBMS_PASSWORD: 's@cret',
    });
    expect(s.description).not.to.contain('s@cret');
  });

  it('when the URL is not PostgreSQL or names no database, then it is refused with the expected form', () => {
    expect(() => secondaryStorage('mysql://u:p@h/db')).to.throw(EngineStartError, 'postgres://user:password@host:5432/database');
    expect(() => secondaryStorage('postgres://u:p@h:5432/')).to.throw(EngineStartError, 'names no database');
    expect(() => secondaryStorage('not a url')).to.throw(EngineStartError);
  });

  it('when the data folder is /d, then every process keeps its data, log and pid file under /d/engine', () => {
    const p = enginePaths('/d');
    expect([p.dir, p.brokerData, p.opensearchData, p.log('tasklist'), p.pidFile('broker')]).to.deep.equal([
      '/d/engine',
      '/d/engine/zeebe',
      '/d/engine/opensearch',
      '/d/engine/tasklist.log',
      '/d/engine/broker.pid',
    ]);
  });
});
