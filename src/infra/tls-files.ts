// Certificates for local TLS servers (a secured test broker, Redis with tls-port): a private CA,
// a server certificate for the loopback address signed by it, a client certificate for mutual
// TLS, and the server's PKCS12 keystore for Java, all made with the openssl command line.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SluiceError } from '../errors/sluice-error.js';

export interface TlsFiles {
  /** PEM certificate of the CA that signed both certificates below: what clients trust. */
  caCert: string;
  serverCert: string;
  /** Unencrypted PEM private key of the server certificate (Redis reads this form). */
  serverKey: string;
  /** PKCS12 keystore holding the server key and its chain, for the Kafka broker. */
  serverKeystore: string;
  keystorePassword: string;
  /** Client certificate and unencrypted key signed by the CA, for mutual TLS. */
  clientCert: string;
  clientKey: string;
}

/**
 * Writes the files into `dir`. The server certificate names `host` (an IP address or a DNS name) in
 * its subjectAltName, as clients check it (librdkafka's ssl.endpoint.identification.algorithm=https,
 * Node's TLS for Redis). Valid for two days: made for one test run or a short trial.
 */
export function createTlsFiles(dir: string, host = '127.0.0.1'): TlsFiles {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = (name: string) => path.join(dir, name);
  const files: TlsFiles = {
    caCert: file('ca.pem'),
    serverCert: file('server.pem'),
    serverKey: file('server.key'),
    serverKeystore: file('server.p12'),
    keystorePassword: randomBytes(12).toString('hex'),
    clientCert: file('client.pem'),
    clientKey: file('client.key'),
  };
  const caKey = file('ca.key');
  // EC P-256: as strong as RSA-3072 for this purpose and generated in milliseconds.
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const days = ['-days', '2'];
  // openssl's default extensions for -x509 make a CA: the leaves say they are not one.
  const leaf = ['-CA', files.caCert, '-CAkey', caKey, '-addext', 'basicConstraints=critical,CA:FALSE'];
  openssl([
    'req',
    '-x509',
    ...newKey,
    ...days,
    '-keyout',
    caKey,
    '-out',
    files.caCert,
    '-subj',
    '/CN=Sluice local CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const san = /^[0-9.]+$/.test(host) ? `IP:${host}` : `DNS:${host}`;
  /** A certificate signed by the CA, with its own new key. */
  const signLeaf = (key: string, cert: string, subject: string, extensions: string[]) =>
    openssl([
      'req',
      '-x509',
      ...newKey,
      ...days,
      ...leaf,
      '-keyout',
      key,
      '-out',
      cert,
      '-subj',
      subject,
      ...extensions.flatMap((e) => ['-addext', e]),
    ]);
  signLeaf(files.serverKey, files.serverCert, `/CN=${host}`, [
    `subjectAltName=${san}`,
    'extendedKeyUsage=serverAuth',
  ]);
  signLeaf(files.clientKey, files.clientCert, '/CN=sluice-client', ['extendedKeyUsage=clientAuth']);
  // The keystore password goes through a file: a command line is visible to every user (ps).
  const passwordFile = file('keystore.password');
  writeFileSync(passwordFile, files.keystorePassword, { mode: 0o600 });
  openssl([
    'pkcs12',
    '-export',
    '-name',
    'server',
    '-in',
    files.serverCert,
    '-inkey',
    files.serverKey,
    '-certfile',
    files.caCert,
    '-out',
    files.serverKeystore,
    '-passout',
    `file:${passwordFile}`,
  ]);
  return files;
}

function openssl(args: string[]): void {
  const result = spawnSync('openssl', args, { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    throw new SluiceError(
      result.error ? 'INFRA_TOOL_MISSING' : 'INFRA_START_FAILED',
      result.error
        ? 'openssl is not on PATH; it makes the certificates of the local TLS servers. Fix: `apt-get install openssl`.'
        : `openssl ${args[0]} failed (exit ${result.status}): ${result.stderr.trim().split('\n').slice(-5).join('\n')}`,
    );
  }
}
