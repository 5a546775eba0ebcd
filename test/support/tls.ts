/**
 * Test support: a throwaway certificate authority, made with Debian's openssl CLI in a temporary
 * directory: a CA, a server certificate for 127.0.0.1 and localhost, and a client certificate,
 * plus the redis-server arguments of a TLS port that uses them.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCertificates {
  readonly dir: string;
  /** Paths of the PEM files. */
  readonly files: {
    ca: string;
    serverCert: string;
    serverKey: string;
    clientCert: string;
    clientKey: string;
  };
  /** Contents of the CA certificate and the client pair, for `redisOptions.tls`. */
  readonly ca: Buffer;
  readonly clientCert: Buffer;
  readonly clientKey: Buffer;
  /** redis-server arguments: a TLS port with these certificates (clients: "yes", "no" or "optional"). */
  serverArgs(tlsPort: number, clients?: "yes" | "no" | "optional"): string[];
  remove(): void;
}

const openssl = (dir: string, ...args: string[]): void => {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
};

/** Makes a CA and certificates signed by it (RSA 2048, valid for 2 days). */
export function makeCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), "popoto-tls-"));
  const subject = (cn: string): string[] => ["-subj", `/CN=${cn}`];
  openssl(
    dir,
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    ...subject("popoto test CA"),
  );
  const sign = (name: string, extensions: string): void => {
    openssl(
      dir,
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
      ...subject(name),
    );
    writeFileSync(join(dir, `${name}.ext`), extensions);
    openssl(
      dir,
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "2",
      "-out",
      `${name}.crt`,
      "-extfile",
      `${name}.ext`,
    );
  };
  sign("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  sign("client", "extendedKeyUsage=clientAuth\n");
  const files = {
    ca: join(dir, "ca.crt"),
    serverCert: join(dir, "server.crt"),
    serverKey: join(dir, "server.key"),
    clientCert: join(dir, "client.crt"),
    clientKey: join(dir, "client.key"),
  };
  return {
    dir,
    files,
    ca: readFileSync(files.ca),
    clientCert: readFileSync(files.clientCert),
    clientKey: readFileSync(files.clientKey),
    serverArgs: (tlsPort, clients = "no") => [
      "--tls-port",
      String(tlsPort),
      "--tls-cert-file",
      files.serverCert,
      "--tls-key-file",
      files.serverKey,
      "--tls-ca-cert-file",
      files.ca,
      "--tls-auth-clients",
      clients,
      "--tls-protocols",
      "TLSv1.2 TLSv1.3",
    ],
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
