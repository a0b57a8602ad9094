/**
 * The stock ACME and SCEP clients the protocol suites run, from Debian's packages: `lego`,
 * `certbot` and micromdm's `scep` client (package `scep`, executable `scepclient`).
 * LEGO_PATH, CERTBOT_PATH and SCEPCLIENT_PATH point at others.
 */
import type { DebianTool } from './debian-packages';

function tool(purpose: string, envVar: string, debianPath: string, pkg: string): DebianTool {
  const chosen = process.env[envVar];
  return { purpose, executable: chosen || debianPath, pkg, overriddenBy: chosen ? envVar : undefined };
}

export const LEGO = tool('ACME tests', 'LEGO_PATH', '/usr/bin/lego', 'lego');
export const CERTBOT = tool('ACME tests', 'CERTBOT_PATH', '/usr/bin/certbot', 'certbot');
export const SCEPCLIENT = tool('SCEP tests', 'SCEPCLIENT_PATH', '/usr/bin/scepclient', 'scep');

export const PROTOCOL_CLIENTS: DebianTool[] = [LEGO, CERTBOT, SCEPCLIENT];
