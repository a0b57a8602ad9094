/**
 * The one Camunda client of the application, configured from `loadConfig()`:
 * REST API v2 (deployments, process instances, searches) and gRPC (job workers).
 */
import { Camunda8, type CamundaRestClient, type Zeebe } from '@camunda8/sdk';
import type { Config } from '../config';

export interface CamundaClients {
  /** The SDK's factory; everything below comes from it and shares its configuration. */
  c8: Camunda8;
  /** REST API v2. */
  rest: CamundaRestClient;
  /** gRPC gateway, for job workers. */
  zeebe: Zeebe.ZeebeGrpcClient;
  /** Closes workers and connections. */
  close(): Promise<void>;
}

/**
 * The SDK settings for `config.camunda`. Explicit values override the SDK's own environment
 * reading; for OAUTH the client id/secret and token URL still come from the SDK's variables
 * (ZEEBE_CLIENT_ID, ZEEBE_CLIENT_SECRET, CAMUNDA_OAUTH_URL, ...).
 */
export function sdkConfiguration(config: Config): ConstructorParameters<typeof Camunda8>[0] {
  const c = config.camunda;
  return {
    ZEEBE_REST_ADDRESS: c.restAddress,
    ZEEBE_GRPC_ADDRESS: c.grpcAddress,
    CAMUNDA_AUTH_STRATEGY: c.authStrategy,
    ...(c.authStrategy === 'BASIC' ? { CAMUNDA_BASIC_AUTH_USERNAME: c.username, CAMUNDA_BASIC_AUTH_PASSWORD: c.password } : {}),
    ...(c.authStrategy === 'NONE' ? { CAMUNDA_OAUTH_DISABLED: true } : {}),
    CAMUNDA_TASKLIST_BASE_URL: c.tasklistUrl,
    CAMUNDA_OPERATE_BASE_URL: c.operateUrl,
  };
}

/** Creates the clients. Call `close()` when done (tests: at the end of the run). */
export function createCamundaClients(config: Config): CamundaClients {
  const c8 = new Camunda8(sdkConfiguration(config));
  const rest = c8.getCamundaRestClient();
  const zeebe = c8.getZeebeGrpcApiClient();
  return {
    c8,
    rest,
    zeebe,
    close: async () => {
      await c8.closeAllClients();
    },
  };
}
