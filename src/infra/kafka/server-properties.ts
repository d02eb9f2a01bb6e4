// Generates the server.properties of Sluice's single Kafka node: broker and KRaft controller in
// one process on loopback, internal topics sized for one broker, and group timeouts lowered so a
// dead TaskManager's partitions move within seconds. Every non-default line says why.

export interface ServerPropertiesInput {
  /** Address of the client listener, advertised to clients (127.0.0.1 unless other hosts connect). */
  host?: string;
  port: number;
  controllerPort: number;
  dataDir: string;
  /** Extra client listeners that need authentication and TLS; PLAINTEXT stays for the controller. */
  secured?: SecuredListeners;
}

/**
 * A SASL_SSL listener (PLAIN and SCRAM-SHA-256) and, optionally, an SSL listener that requires a
 * client certificate: what a real cluster asks of its clients, for tests and trials on one host.
 */
export interface SecuredListeners {
  saslSslPort: number;
  /** The mutual-TLS listener's port; none without it. */
  mtlsPort?: number;
  /** PKCS12 keystore with the broker's key and certificate chain. */
  keystore: { location: string; password: string };
  /** PEM file of the CA whose client certificates the mutual-TLS listener accepts. */
  clientCaLocation: string;
  /**
   * Users known to both mechanisms: PLAIN reads them from the listener's JAAS line; SCRAM
   * credentials are written into the metadata log when the storage is formatted (kafka-broker.ts).
   */
  users: readonly { name: string; password: string }[];
}

export function serverProperties(input: ServerPropertiesInput): string {
  const { port, controllerPort, dataDir, secured } = input;
  const host = input.host ?? '127.0.0.1';
  const extra = secured ? securedListenerLines(host, secured) : undefined;
  const lines: [string, string | number, string][] = [
    // One combined node: KRaft controller and broker in the same JVM.
    ['process.roles', 'broker,controller', 'one JVM is both the KRaft controller and the broker'],
    ['node.id', 1, 'the only node'],
    [
      'controller.quorum.voters',
      `1@127.0.0.1:${controllerPort}`,
      'static quorum of this one node (no --standalone format needed)',
    ],
    [
      'listeners',
      `PLAINTEXT://${host}:${port},CONTROLLER://127.0.0.1:${controllerPort}${extra?.listeners ?? ''}`,
      'clients on SLUICE_INFRA_HOST (loopback by default; an IP, not localhost, so ::1 is never tried); the controller on loopback',
    ],
    [
      'advertised.listeners',
      `PLAINTEXT://${host}:${port}${extra?.listeners ?? ''}`,
      'what clients are told to connect to',
    ],
    ['inter.broker.listener.name', 'PLAINTEXT', ''],
    ['controller.listener.names', 'CONTROLLER', ''],
    [
      'listener.security.protocol.map',
      `CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT${extra?.protocols ?? ''}`,
      '',
    ],
    ...(extra?.lines ?? []),
    ['log.dirs', dataDir, 'data survives a broker restart (the reliability test restarts it)'],
    // A single node can only hold one replica: internal topics must not ask for three.
    [
      'offsets.topic.replication.factor',
      1,
      'default 3: the group coordinator would never come up on one node',
    ],
    ['offsets.topic.num.partitions', 1, 'default 50: fewer partitions start faster on 2 cores'],
    [
      'transaction.state.log.replication.factor',
      1,
      'default 3: the transaction coordinator needs it on one node',
    ],
    ['transaction.state.log.min.isr', 1, 'default 2'],
    ['transaction.state.log.num.partitions', 1, 'default 50'],
    ['share.coordinator.state.topic.replication.factor', 1, 'default 3'],
    ['share.coordinator.state.topic.min.isr', 1, 'default 2'],
    ['share.coordinator.state.topic.num.partitions', 1, 'default 50'],
    ['auto.create.topics.enable', 'false', 'a typo in a topic name is an error, not a new 1-partition topic'],
    // Fast failover for KIP-848 groups: the broker owns session timeout and heartbeat.
    ['group.consumer.min.session.timeout.ms', 1000, 'default 45000: allow the short session below'],
    [
      'group.consumer.session.timeout.ms',
      2000,
      'default 45000: a vanished host is evicted after ~2 s (10 heartbeats)',
    ],
    ['group.consumer.min.heartbeat.interval.ms', 100, 'default 5000: allow the short heartbeat below'],
    [
      'group.consumer.heartbeat.interval.ms',
      200,
      'default 5000: members learn of new assignments within 0.2 s (a dead member is removed at once)',
    ],
    [
      'group.consumer.assignment.interval.ms',
      100,
      'default 1000 (4.3+): recompute target assignments quickly',
    ],
    // Classic groups (--group-protocol classic): the client's session.timeout.ms must be >= this.
    ['group.min.session.timeout.ms', 1000, 'default 6000'],
    ['group.initial.rebalance.delay.ms', 0, 'default 3000: the first classic join does not wait'],
    // Small-machine sizing.
    ['num.network.threads', 2, 'default 3'],
    ['num.io.threads', 4, 'default 8'],
    ['background.threads', 4, 'default 10'],
    ['num.recovery.threads.per.data.dir', 1, ''],
    ['log.cleaner.dedupe.buffer.size', 2097152, 'default 128 MiB of heap; compacted topics here are tiny'],
  ];
  const body = lines.map(([key, value, why]) => `${why ? `# ${why}\n` : ''}${key}=${value}`).join('\n');
  return `# Generated by Sluice (src/infra/kafka/server-properties.ts); edits are overwritten on \`infra up\`.\n${body}\n`;
}

/** The secured listeners' part of listeners/advertised.listeners, of the protocol map, and their own lines. */
function securedListenerLines(
  host: string,
  secured: SecuredListeners,
): { listeners: string; protocols: string; lines: [string, string | number, string][] } {
  const keystore = (listener: string): [string, string | number, string][] => [
    [`listener.name.${listener}.ssl.keystore.type`, 'PKCS12', ''],
    [`listener.name.${listener}.ssl.keystore.location`, secured.keystore.location, ''],
    [`listener.name.${listener}.ssl.keystore.password`, secured.keystore.password, ''],
  ];
  const plainUsers = secured.users.map((u) => `user_${u.name}=${jaasQuote(u.password)}`).join(' ');
  const lines: [string, string | number, string][] = [
    ...keystore('sasl_ssl'),
    [
      'listener.name.sasl_ssl.sasl.enabled.mechanisms',
      'PLAIN,SCRAM-SHA-256',
      'the mechanisms Sluice is tested with',
    ],
    [
      'listener.name.sasl_ssl.plain.sasl.jaas.config',
      `org.apache.kafka.common.security.plain.PlainLoginModule required ${plainUsers};`,
      'PLAIN users: user_<name>=<password>',
    ],
    [
      'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config',
      'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'SCRAM credentials live in the metadata log (added when the storage was formatted)',
    ],
  ];
  let listeners = `,SASL_SSL://${host}:${secured.saslSslPort}`;
  let protocols = ',SASL_SSL:SASL_SSL';
  if (secured.mtlsPort !== undefined) {
    listeners += `,MTLS://${host}:${secured.mtlsPort}`;
    protocols += ',MTLS:SSL';
    lines.push(
      ...keystore('mtls'),
      [
        'listener.name.mtls.ssl.client.auth',
        'required',
        'a client without a certificate signed by the CA is refused',
      ],
      ['listener.name.mtls.ssl.truststore.type', 'PEM', ''],
      ['listener.name.mtls.ssl.truststore.location', secured.clientCaLocation, ''],
    );
  }
  return { listeners, protocols, lines };
}

/**
 * A JAAS option value, double-quoted. Quotes and backslashes would need escaping twice (JAAS, then
 * java.util.Properties), so these generated users keep to characters that need none.
 */
function jaasQuote(value: string): string {
  if (!/^[A-Za-z0-9._~+-]+$/.test(value))
    throw new Error('secured listener users need passwords of letters, digits and . _ ~ + -');
  return `"${value}"`;
}

/** log4j2 configuration: INFO to stdout (which the launcher appends to kafka.log), noisy loggers quieter. */
export function log4j2Properties(): string {
  return `# Generated by Sluice: Kafka 4.x logs through log4j2.
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.state.name = state.change.logger
logger.state.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.controller.name = kafka.controller
logger.controller.level = INFO
logger.raft.name = org.apache.kafka.raft
logger.raft.level = WARN
logger.coordinator.name = org.apache.kafka.coordinator
logger.coordinator.level = INFO
`;
}
