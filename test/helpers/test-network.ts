// Separate network hosts on one machine, for tests: a network namespace per host, each joined to a
// bridge by a veth pair, addresses from 198.18.0.0/15 (set aside for benchmarking networks) and no
// default route, so traffic only flows between the hosts the test made. The test process stays in
// the root namespace with the bridge's address (a driver host). A host is cut off by taking its
// link down. Processes run inside a host through `wrap` (ip netns exec, own host name).

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface TestHost {
  readonly name: string;
  readonly namespace: string;
  readonly address: string;
  /** The veth end on the bridge (root namespace): down = host cut off. */
  readonly link: string;
  /** argv → argv that runs inside this host, under its own host name. */
  readonly wrap: (argv: string[]) => string[];
}

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Why namespaces cannot be made here (not root, no iproute2, no permission), or undefined when they can. */
export function networkNamespacesUnavailable(): string | undefined {
  if (process.getuid?.() !== 0)
    return 'the tests do not run as root (ip netns needs CAP_NET_ADMIN and CAP_SYS_ADMIN)';
  const probe = `sluice-probe-${randomBytes(3).toString('hex')}`;
  try {
    ip('netns', 'add', probe);
  } catch (error) {
    const text = error instanceof Error ? error.message.split('\n').slice(0, 2).join(' ') : String(error);
    return `\`ip netns add\` failed: ${text}`;
  }
  try {
    ip('netns', 'del', probe);
  } catch {
    // It was made; deleting it is best effort.
  }
  return undefined;
}

export class TestNetwork {
  readonly hosts = new Map<string, TestHost>();
  readonly gateway: string;
  readonly #bridge: string;
  readonly #tag: string;

  private constructor(tag: string, subnet: number) {
    this.#tag = tag;
    this.#bridge = `slbr${tag}`;
    this.gateway = `198.18.${subnet}.1`;
  }

  /** Builds the bridge and one namespace per host name; on failure, removes what it made. */
  static create(hostNames: readonly string[]): TestNetwork {
    const tag = randomBytes(2).toString('hex');
    const used = ip('-4', '-o', 'addr');
    let subnet = 1 + ((randomBytes(1)[0] ?? 0) % 250);
    while (used.includes(`198.18.${subnet}.`)) subnet = (subnet % 250) + 1;
    const network = new TestNetwork(tag, subnet);
    try {
      ip('link', 'add', network.#bridge, 'type', 'bridge');
      ip('addr', 'add', `${network.gateway}/24`, 'dev', network.#bridge);
      ip('link', 'set', network.#bridge, 'up');
      hostNames.forEach((name, i) => {
        const namespace = `sluice-${tag}-${name}`;
        const link = `slh${tag}${i}`;
        const inside = `sln${tag}${i}`;
        const address = `198.18.${subnet}.${i + 2}`;
        ip('netns', 'add', namespace);
        ip('link', 'add', link, 'type', 'veth', 'peer', 'name', inside);
        ip('link', 'set', inside, 'netns', namespace);
        ip('link', 'set', link, 'master', network.#bridge);
        ip('link', 'set', link, 'up');
        ip('-n', namespace, 'addr', 'add', `${address}/24`, 'dev', inside);
        ip('-n', namespace, 'link', 'set', inside, 'up');
        ip('-n', namespace, 'link', 'set', 'lo', 'up');
        network.hosts.set(name, {
          name,
          namespace,
          address,
          link,
          wrap: (argv) => [
            'ip',
            'netns',
            'exec',
            namespace,
            'unshare',
            '--uts',
            'sh',
            '-c',
            'hostname "$0" && exec "$@"',
            name,
            ...argv,
          ],
        });
      });
    } catch (error) {
      network.destroy();
      throw error;
    }
    return network;
  }

  host(name: string): TestHost {
    const host = this.hosts.get(name);
    if (!host) throw new Error(`no test host ${name}`);
    return host;
  }

  /** Takes the host's link down: nothing in or out, and no reset is sent to anyone. */
  cut(name: string): void {
    ip('link', 'set', this.host(name).link, 'down');
  }

  restore(name: string): void {
    ip('link', 'set', this.host(name).link, 'up');
  }

  /** Removes every namespace and link made (processes inside must be stopped first). */
  destroy(): void {
    for (const host of this.hosts.values()) {
      try {
        ip('netns', 'del', host.namespace);
      } catch {
        // Already gone.
      }
      try {
        ip('link', 'del', host.link);
      } catch {
        // Deleting the namespace removed the pair.
      }
    }
    try {
      ip('link', 'del', this.#bridge);
    } catch {
      // Never made.
    }
  }

  /** Names of what this network made, for a leak check. */
  get tag(): string {
    return this.#tag;
  }
}
